import { defineTier } from '../tier-module.js';

export const rulesModule = defineTier<undefined>({
  name: 'rules',
  choosable: true,
  inChain: true,
  create: async () => (await import('../rules.js')).createRulesTier(),
});
