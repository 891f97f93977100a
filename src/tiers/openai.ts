import type OpenAI from 'openai';
import { FmcError } from '../errors.js';
import { connectionError, httpFailureError, type FailureWords } from './http-failure.js';
import { ANSWER_JSON_SCHEMA, parseAnswers } from './llm-answers.js';
import type { ExamplePool } from './few-shot.js';
import { createLlmPrompt, renderBatch } from './llm-prompt.js';
import { networkReason } from './net-errors.js';
import { parseRetryAfter } from './retry-after.js';
import { TierRetryableError, type HealthCheck, type Tier, type TierAnswer, type TierItem } from './tier.js';
import { createUsageCounter } from './usage.js';

// Any OpenAI-compatible chat-completions endpoint (Mistral's API, vLLM, llama.cpp's server,
// LM Studio, OpenAI itself) through the `openai` client: one /chat/completions call per
// batch, the answer under a JSON Schema (`response_format: json_schema`). Retries, waits and
// the circuit live in pipeline/retry.ts; the client's own retries are off.

export interface OpenAiTierOptions {
  readonly baseUrl: string;
  /** Local servers (vLLM, llama.cpp, LM Studio) take no key. */
  readonly apiKey?: string | undefined;
  readonly model?: string | undefined;
  /** Bound on the free availability probe (GET /models). */
  readonly checkTimeoutMs?: number;
  /** Labeled tweets the prompt's examples are picked from, per batch; absent = nine fixed examples. */
  readonly examples?: ExamplePool | undefined;
}

// The "no quota left" codes of OpenAI and of the servers that copy its errors: a 429 with
// one of these is not a rate limit, and waiting will not help this run.
const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached', 'quota_exceeded']);

interface ApiErrorLike {
  readonly status?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly error?: { readonly message?: unknown } | undefined;
  readonly headers?: Headers | undefined;
  readonly message: string;
}

function retryAfterOf(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  return parseRetryAfter(headers?.get('retry-after') ?? undefined);
}

export function createOpenAiTier(options: OpenAiTierOptions): Tier {
  const { baseUrl, model } = options;
  const usage = createUsageCounter();
  const prompt = createLlmPrompt(options.examples);
  const words: FailureWords = {
    tier: 'openai',
    quotaSpent: (quota, message) => `openai: quota spent at ${baseUrl} (${quota}: ${message}); rows go to the next tier, or add credit to the account`,
    keyRefused: (message) => `openai: ${baseUrl} refused the key (${message}); set a valid OPENAI_API_KEY`,
    modelMissing: (message) => `openai: model ${model} not served at ${baseUrl} (${message}); set OPENAI_MODEL to one GET ${baseUrl}/models lists`,
    unreachable: (code) => `openai: cannot connect to ${baseUrl} (${code}); start the server or set OPENAI_BASE_URL`,
  };
  let client: Promise<OpenAI> | undefined;
  // The client is loaded on first use: `fmc --help` and the other tiers never pay for it.
  const clientOf = (): Promise<OpenAI> =>
    (client ??= import('openai').then(({ default: OpenAIClient }) => new OpenAIClient({ baseURL: baseUrl, apiKey: options.apiKey || 'unused', maxRetries: 0, timeout: 10 * 60_000 })));

  function toTierError(err: unknown): Error {
    const e = err as ApiErrorLike;
    if (typeof e.status === 'number') {
      const message = typeof e.error?.message === 'string' ? e.error.message : e.message;
      const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined;
      return httpFailureError(
        { status: e.status, message, retryAfterMs: retryAfterOf(e.headers), quotaSpent: code && QUOTA_CODES.has(code) ? code : undefined, notTheModel: e.status === 404 && !/model/i.test(message) },
        words,
      );
    }
    const connection = connectionError(err, words);
    if (connection) return connection;
    // The client wraps a broken connection in its own APIConnectionError.
    if ((err as Error).name === 'APIConnectionError') return new TierRetryableError('openai', `openai: ${networkReason(err)}`);
    return err instanceof Error ? err : new Error(String(err));
  }

  async function classify(batch: readonly TierItem[], signal: AbortSignal): Promise<Map<string, TierAnswer>> {
    if (!model) throw new Error('openai: OPENAI_MODEL is unset');
    const openai = await clientOf();
    const system = await prompt.system(batch);
    usage.request();
    try {
      const response = await openai.chat.completions.create(
        {
          model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: renderBatch(batch) },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'answers', strict: true, schema: ANSWER_JSON_SCHEMA } },
          temperature: 0,
        },
        { signal },
      );
      usage.tokens(response.usage?.prompt_tokens ?? 0, response.usage?.completion_tokens ?? 0);
      return parseAnswers(response.choices[0]?.message?.content ?? undefined, batch).answers;
    } catch (err) {
      if (signal.aborted) throw err;
      throw toTierError(err);
    }
  }

  async function check(): Promise<HealthCheck> {
    if (!model) return { ok: false, detail: `openai: OPENAI_MODEL is unset; set it to a model ${baseUrl} serves (GET ${baseUrl}/models lists them)` };
    const openai = await clientOf();
    // Listing models is free: it proves the address, the key and the model id in one call.
    const timeout = AbortSignal.timeout(options.checkTimeoutMs ?? 5000);
    try {
      const ids: string[] = [];
      for await (const m of openai.models.list({ signal: timeout })) ids.push(m.id);
      if (!ids.includes(model)) return { ok: false, detail: `openai: ${baseUrl} does not serve model ${model}; set OPENAI_MODEL to one of: ${ids.slice(0, 10).join(', ')}` };
      await prompt.ready();
      return { ok: true, detail: `openai: ${model} at ${baseUrl}` };
    } catch (err) {
      if (err instanceof FmcError) return { ok: false, detail: `openai: example pool: ${err.message}` };
      if (timeout.aborted) return { ok: false, detail: `openai: no answer from ${baseUrl} to GET /models; check OPENAI_BASE_URL` };
      const e = toTierError(err);
      // Rate limits on a lookup say nothing about the run: the run's own retries handle them.
      if (e instanceof TierRetryableError && (err as ApiErrorLike).status === 429) return { ok: true, detail: `openai: ${model} at ${baseUrl} (rate limited at start)` };
      return { ok: false, detail: e.message };
    }
  }

  return {
    name: 'openai',
    version: `${model ?? 'unset'}@${baseUrl}+${prompt.hash}`,
    cacheable: true,
    remote: true,
    maxBatch: 50,
    classify,
    check,
    usage: usage.snapshot,
  };
}
