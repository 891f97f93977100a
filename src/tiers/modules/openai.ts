import { examplesOf } from '../few-shot-pool.js';
import { defineTier, type Env } from '../tier-module.js';

export interface OpenAiSettings {
  readonly baseUrl: string;
  readonly apiKey?: string | undefined;
  readonly model?: string | undefined;
  /** OPENAI_BASE_URL or OPENAI_API_KEY was set: without either, nobody asked for this tier. */
  readonly configured: boolean;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export const openAiModule = defineTier<OpenAiSettings>({
  name: 'openai',
  choosable: true,
  inChain: true,
  settings: (env: Env) => ({
    baseUrl: (env.OPENAI_BASE_URL || OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    apiKey: env.OPENAI_API_KEY || undefined,
    model: env.OPENAI_MODEL || undefined,
    configured: Boolean(env.OPENAI_BASE_URL || env.OPENAI_API_KEY),
  }),
  notConfigured: (s) => (s.configured ? undefined : 'OPENAI_BASE_URL and OPENAI_API_KEY are unset'),
  // GET /models would be a remote call: `fmc health` without --deep answers from the settings.
  quickCheck: (s) => {
    if (!s.configured) return { ok: false, detail: 'openai: set OPENAI_BASE_URL (a local server) or OPENAI_API_KEY, and OPENAI_MODEL' };
    if (!s.model) return { ok: false, detail: `openai: OPENAI_MODEL is unset; set it to a model ${s.baseUrl} serves` };
    return { ok: true, detail: `openai: ${s.model} at ${s.baseUrl} (not called; --deep lists the models)` };
  },
  // Not configured: a tier whose check says so without a network call (auto skips it).
  create: async (s, shared) => {
    const { createOpenAiTier } = await import('../openai.js');
    const tier = createOpenAiTier({ ...s, checkTimeoutMs: Math.min(shared.timeoutMs, 5000), examples: await examplesOf(shared) });
    if (s.configured) return tier;
    return { ...tier, check: async () => ({ ok: false, detail: 'openai: set OPENAI_BASE_URL (a local server) or OPENAI_API_KEY, and OPENAI_MODEL' }) };
  },
});
