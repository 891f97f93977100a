import { Ollama } from 'ollama';
import { ANSWER_JSON_SCHEMA, parseAnswers } from './llm-answers.js';
import type { ExamplePool } from './few-shot.js';
import { createLlmPrompt, renderBatch } from './llm-prompt.js';
import { connectionError, httpFailureError, type FailureWords } from './http-failure.js';
import { networkReason } from './net-errors.js';
import { createUsageCounter } from './usage.js';
import { type HealthCheck, type Tier, type TierAnswer, type TierItem } from './tier.js';

export interface OllamaTierOptions {
  readonly host: string;
  readonly model: string;
  /** Bound on the availability probe (/api/version, /api/tags). */
  readonly checkTimeoutMs?: number;
  /** Labeled tweets the prompt's examples are picked from, per batch; absent = nine fixed examples. */
  readonly examples?: ExamplePool | undefined;
}

/**
 * The fetch handed to the ollama client, which takes no per-request signal: it ties each
 * request to the call's signal. It also turns a non-JSON error body (a proxy's HTML page)
 * into Ollama's own `{error}` shape, because the client logs such bodies with console.log,
 * which would land in the labeled CSV when the output is stdout.
 */
function fetchWith(signal: AbortSignal): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
    const text = (await response.text()).slice(0, 200).trim();
    return Response.json({ error: text || response.statusText }, { status: response.status, statusText: response.statusText });
  };
}

/** `mistral` is served as `mistral:latest`; a tag given explicitly must match exactly. */
export function hasModel(names: readonly string[], model: string): boolean {
  const wanted = model.includes(':') ? model : `${model}:latest`;
  return names.some((n) => n === model || n === wanted);
}

/** Ollama through the `ollama` client: one /api/chat call per batch, `format` = the answer schema. */
export function createOllamaTier(options: OllamaTierOptions): Tier {
  const { host, model } = options;
  const usage = createUsageCounter();
  const prompt = createLlmPrompt(options.examples);
  const serverDown = (code: string): string => `ollama: server down at ${host} (${code}); start it: ollama serve (or set OLLAMA_HOST)`;
  const notPulled = `ollama: model ${model} not pulled at ${host}; run: ollama pull ${model}`;

  const words: FailureWords = {
    tier: 'ollama',
    quotaSpent: (quota) => `ollama: ${quota}`,
    keyRefused: (message) => `ollama: ${host} refused the request (${message}); check OLLAMA_HOST (a proxy that needs credentials?)`,
    modelMissing: () => notPulled,
    unreachable: serverDown,
  };

  function toTierError(err: unknown): Error {
    const status = (err as { status_code?: unknown }).status_code;
    const message = (err as Error).message ?? String(err);
    if (typeof status === 'number') return httpFailureError({ status, message, notTheModel: !/model/i.test(message) }, words);
    return connectionError(err, words) ?? (err instanceof Error ? err : new Error(message));
  }

  async function classify(batch: readonly TierItem[], signal: AbortSignal): Promise<Map<string, TierAnswer>> {
    // A client per call is a small object; it is how a per-call signal reaches its fetch.
    const system = await prompt.system(batch);
    const client = new Ollama({ host, fetch: fetchWith(signal) });
    usage.request();
    try {
      const response = await client.chat({
        model,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: renderBatch(batch) },
        ],
        format: ANSWER_JSON_SCHEMA,
        options: { temperature: 0 },
        stream: false,
      });
      usage.tokens(response.prompt_eval_count ?? 0, response.eval_count ?? 0);
      return parseAnswers(response.message?.content, batch).answers;
    } catch (err) {
      if (signal.aborted) throw err;
      throw toTierError(err);
    }
  }

  async function check(): Promise<HealthCheck> {
    const client = new Ollama({ host, fetch: fetchWith(AbortSignal.timeout(options.checkTimeoutMs ?? 3000)) });
    let version: string;
    try {
      version = (await client.version()).version;
    } catch (err) {
      const status = (err as { status_code?: unknown }).status_code;
      if (typeof status === 'number') return { ok: false, detail: `ollama: ${host} answered HTTP ${status} to /api/version, so it is not an Ollama server; set OLLAMA_HOST` };
      return { ok: false, detail: serverDown(networkReason(err)) };
    }
    try {
      const { models } = await client.list();
      if (!hasModel(models.map((m) => m.name), model)) return { ok: false, detail: notPulled };
    } catch (err) {
      return { ok: false, detail: `ollama: cannot list models at ${host}: ${(err as Error).message}` };
    }
    try {
      await prompt.ready();
    } catch (err) {
      return { ok: false, detail: `ollama: example pool: ${(err as Error).message}` };
    }
    return { ok: true, detail: `ollama: ${model} on ${host} (server ${version})` };
  }

  return {
    name: 'ollama',
    version: `${model}+${prompt.hash}`,
    cacheable: true,
    remote: true,
    maxBatch: 50,
    classify,
    check,
    usage: usage.snapshot,
  };
}
