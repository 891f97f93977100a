import { examplesOf } from '../few-shot-pool.js';
import { defineTier, type Env } from '../tier-module.js';

export interface GeminiSettings {
  readonly apiKey?: string | undefined;
  readonly model: string;
  readonly baseUrl?: string | undefined;
}

const NO_KEY = 'GEMINI_API_KEY is unset; create a key at https://aistudio.google.com/apikey and export GEMINI_API_KEY=<key>';

export const geminiModule = defineTier<GeminiSettings>({
  name: 'gemini',
  choosable: true,
  inChain: true,
  settings: (env: Env) => ({ apiKey: env.GEMINI_API_KEY || undefined, model: env.GEMINI_MODEL || 'gemini-2.5-flash', baseUrl: env.GEMINI_BASE_URL || undefined }),
  notConfigured: (s) => (s.apiKey ? undefined : 'GEMINI_API_KEY is unset'),
  // check() is a models lookup over the network: free, but `fmc health` promises no remote
  // call without --deep, so the key's presence stands in for it.
  quickCheck: (s) =>
    s.apiKey ? { ok: true, detail: `gemini: GEMINI_API_KEY set, model ${s.model} (not called; --deep looks the model up)` } : { ok: false, detail: `gemini: ${NO_KEY}` },
  create: async (s, shared) => (await import('../gemini.js')).createGeminiTier({ ...s, checkTimeoutMs: Math.min(shared.timeoutMs, 5000), examples: await examplesOf(shared) }),
});
