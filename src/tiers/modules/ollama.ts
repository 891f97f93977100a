import { examplesOf } from '../few-shot-pool.js';
import { defineTier, type Env } from '../tier-module.js';

export interface OllamaSettings {
  readonly host: string;
  readonly model: string;
  /** OLLAMA_HOST or OLLAMA_MODEL was set; a default host that does not answer is "not configured", not down. */
  readonly configured?: boolean;
}

export const ollamaModule = defineTier<OllamaSettings>({
  name: 'ollama',
  choosable: true,
  inChain: true,
  settings: (env: Env) => ({ host: env.OLLAMA_HOST || 'http://127.0.0.1:11434', model: env.OLLAMA_MODEL || 'mistral', configured: Boolean(env.OLLAMA_HOST || env.OLLAMA_MODEL) }),
  notConfigured: (s) => (s.configured ? undefined : 'OLLAMA_HOST and OLLAMA_MODEL are unset, and nothing answers at the default host'),
  create: async (s, shared) => (await import('../ollama.js')).createOllamaTier({ ...s, checkTimeoutMs: Math.min(shared.timeoutMs, 3000), examples: await examplesOf(shared) }),
});
