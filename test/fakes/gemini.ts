import type { IncomingHttpHeaders } from 'node:http';
import { answersFor, batchFrom, type FakeItem } from './labels.js';
import { listen, readBody, scriptedFake, send, sendAfter, type Reply, type ScriptedFake } from './http.js';

// A fake of the Gemini API (generativelanguage.googleapis.com, v1beta) on loopback, speaking
// the wire format @google/genai expects:
//   POST /v1beta/models/{model}:generateContent  -> {candidates:[{content:{parts:[{text}]}}], usageMetadata}
//   GET  /v1beta/models/{model}                   -> model metadata (the free availability probe)
// and Google's error envelope {error:{code,message,status,details:[...]}}.

export const FAKE_KEY = 'fake-gemini-key';

export interface GeminiCall {
  /** 1-based, in arrival order. */
  readonly n: number;
  readonly model: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: {
    readonly contents?: { parts?: { text?: string }[] }[];
    readonly systemInstruction?: unknown;
    readonly generationConfig?: { responseMimeType?: string; responseSchema?: unknown; temperature?: number };
  };
  readonly items: FakeItem[];
}

/** Decides the reply to one generateContent call; undefined = the normal answer. */
export type GeminiScript = (call: GeminiCall) => Reply | undefined;

export type FakeGemini = ScriptedFake<GeminiCall, GeminiScript>;

/** A successful generateContent body whose text is `answerText`. */
export function generateReply(answerText: string, tokens = { prompt: 100, output: 40 }): Reply {
  return {
    json: {
      candidates: [{ content: { role: 'model', parts: [{ text: answerText }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: tokens.prompt, candidatesTokenCount: tokens.output, totalTokenCount: tokens.prompt + tokens.output },
      modelVersion: 'gemini-fake',
      responseId: 'fake',
    },
  };
}

/** The normal answer: every item labeled; `edit` may reorder, drop or corrupt the list. */
export function answerReply(items: readonly FakeItem[], edit: (answers: Record<string, unknown>[]) => unknown[] = (a) => a): Reply {
  return generateReply(JSON.stringify({ answers: edit(answersFor(items)) }), { prompt: 100 + 10 * items.length, output: 30 * items.length });
}

export function googleError(code: number, status: string, message: string, details: unknown[] = [], headers?: Record<string, string>): Reply {
  return { status: code, json: { error: { code, message, status, details } }, ...(headers ? { headers } : {}) };
}

export const retryInfo = (retryDelay: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });

export const quotaFailure = (quotaId: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId, quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' }, quotaValue: '250' }],
});

export async function startFakeGemini(options: { latencyMs?: number; script?: GeminiScript; models?: readonly string[] } = {}): Promise<FakeGemini> {
  const calls: GeminiCall[] = [];
  const models = options.models ?? ['gemini-2.5-flash'];
  const fake: { script: GeminiScript } = { script: options.script ?? (() => undefined) };
  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    if (req.headers['x-goog-api-key'] !== FAKE_KEY) {
      return send(res, googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]));
    }
    const m = url.pathname.match(/^\/v1beta\/models\/([^/:]+)(:generateContent)?$/);
    if (!m) return send(res, googleError(404, 'NOT_FOUND', `unknown path ${url.pathname}`));
    const model = m[1]!;
    if (!models.includes(model)) return send(res, googleError(404, 'NOT_FOUND', `models/${model} is not found for API version v1beta`));
    if (!m[2]) {
      if (req.method !== 'GET') return send(res, googleError(405, 'INVALID_ARGUMENT', 'method not allowed'));
      return send(res, { json: { name: `models/${model}`, displayName: model, inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent'] } });
    }
    if (req.method !== 'POST') return send(res, googleError(405, 'INVALID_ARGUMENT', 'method not allowed'));
    const parsed = JSON.parse(body) as GeminiCall['body'];
    const call: GeminiCall = { n: calls.length + 1, model, headers: req.headers, body: parsed, items: batchFrom(parsed.contents?.[0]?.parts?.[0]?.text) };
    calls.push(call);
    return sendAfter(res, fake.script(call) ?? answerReply(call.items), options.latencyMs);
  });
  return scriptedFake(server, calls, fake);
}
