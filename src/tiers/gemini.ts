import { GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { FmcError } from '../errors.js';
import { ANSWER_GEMINI_SCHEMA, parseAnswers } from './llm-answers.js';
import type { ExamplePool } from './few-shot.js';
import { createLlmPrompt, renderBatch } from './llm-prompt.js';
import { CALL_HEADER, newCallId, takeRetryAfter } from './retry-after.js';
import { toTierError } from './gemini-errors.js';
import { createUsageCounter } from './usage.js';
import { TierRetryableError, type HealthCheck, type Tier, type TierAnswer, type TierItem } from './tier.js';

export interface GeminiTierOptions {
  readonly apiKey?: string | undefined;
  readonly model: string;
  readonly baseUrl?: string | undefined;
  /** Bound on the free availability probe (a model lookup). */
  readonly checkTimeoutMs?: number;
  /** Labeled tweets the prompt's examples are picked from, per batch; absent = nine fixed examples. */
  readonly examples?: ExamplePool | undefined;
}

/** Text parts of the first candidate, thoughts left out (reading `.text` warns on stderr). */
function answerText(response: GenerateContentResponse): string | undefined {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  const text = parts.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join('');
  return text === '' ? undefined : text;
}

/**
 * Gemini through @google/genai: one generateContent call per batch, JSON out under a schema.
 * Retries, waits and the circuit live in pipeline/retry.ts; this only maps the client's
 * failures to TierRetryableError / TierUnavailableError.
 */
export function createGeminiTier(options: GeminiTierOptions): Tier {
  const { apiKey, model } = options;
  const client = apiKey
    ? new GoogleGenAI({ apiKey, vertexai: false, ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}) })
    : undefined;
  const usage = createUsageCounter();
  const prompt = createLlmPrompt(options.examples);

  async function classify(batch: readonly TierItem[], signal: AbortSignal): Promise<Map<string, TierAnswer>> {
    if (!client) throw new Error('gemini: GEMINI_API_KEY is unset');
    const systemInstruction = await prompt.system(batch);
    const callId = newCallId();
    usage.request();
    let response: GenerateContentResponse;
    try {
      response = await client.models.generateContent({
        model,
        contents: [{ role: 'user', parts: [{ text: renderBatch(batch) }] }],
        config: {
          systemInstruction,
          responseMimeType: 'application/json',
          responseSchema: ANSWER_GEMINI_SCHEMA,
          temperature: 0,
          abortSignal: signal,
          httpOptions: { headers: { [CALL_HEADER]: callId } },
        },
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw toTierError(err, model, takeRetryAfter(callId));
    } finally {
      takeRetryAfter(callId);
    }
    const meta = response.usageMetadata;
    // Thinking tokens are billed as output.
    usage.tokens(meta?.promptTokenCount ?? 0, (meta?.candidatesTokenCount ?? 0) + (meta?.thoughtsTokenCount ?? 0));
    return parseAnswers(answerText(response), batch).answers;
  }

  async function check(): Promise<HealthCheck> {
    if (!client) return { ok: false, detail: 'gemini: GEMINI_API_KEY is unset; create a key at https://aistudio.google.com/apikey and export GEMINI_API_KEY=<key>' };
    // A model lookup is free: it proves the key, the model id and the network in one call.
    const timeout = AbortSignal.timeout(options.checkTimeoutMs ?? 5000);
    try {
      await client.models.get({ model, config: { abortSignal: timeout } });
      await prompt.ready();
      return { ok: true, detail: `gemini: ${model}${options.baseUrl ? ` at ${options.baseUrl}` : ''}` };
    } catch (err) {
      if (err instanceof FmcError) return { ok: false, detail: `gemini: example pool: ${err.message}` };
      if (timeout.aborted) return { ok: false, detail: `gemini: no answer from ${options.baseUrl ?? 'the API'} to a model lookup; check the network or GEMINI_BASE_URL` };
      const e = toTierError(err, model);
      // Rate limits on a lookup say nothing about the run: the run's own retries handle them.
      if (e instanceof TierRetryableError && (err as { status?: number }).status === 429) return { ok: true, detail: `gemini: ${model} (rate limited at start)` };
      return { ok: false, detail: e.message };
    }
  }

  return {
    name: 'gemini',
    version: `${model}+${prompt.hash}`,
    cacheable: true,
    remote: true,
    maxBatch: 100,
    classify,
    check,
    usage: usage.snapshot,
  };
}
