import type { IncomingHttpHeaders } from 'node:http';
import { answersFor, batchFrom, type FakeItem } from './labels.js';
import { listen, readBody, scriptedFake, send, sendAfter, type Reply, type ScriptedFake } from './http.js';

// A fake OpenAI-compatible server on loopback (what Mistral's API, vLLM, llama.cpp's server
// and LM Studio speak), in the wire format the `openai` client expects:
//   POST {base}/chat/completions -> {id, object:'chat.completion', choices:[{message:{content}}], usage}
//   GET  {base}/models           -> {object:'list', data:[{id, object:'model', ...}]} (the free probe)
// and OpenAI's error envelope {error:{message, type, param, code}}. The base is `${url}/v1`.

export const FAKE_OPENAI_KEY = 'sk-fake-openai-key';

export interface OpenAiCall {
  /** 1-based, in arrival order. */
  readonly n: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: {
    readonly model?: string;
    readonly messages?: { role: string; content: string }[];
    readonly response_format?: { type: string; json_schema?: { name?: string; strict?: boolean; schema?: unknown } };
    readonly temperature?: number;
  };
  readonly items: FakeItem[];
}

/** Decides the reply to one chat-completions call; undefined = the normal answer. */
export type OpenAiScript = (call: OpenAiCall) => Reply | undefined;

export type FakeOpenAi = ScriptedFake<OpenAiCall, OpenAiScript> & { readonly baseUrl: string };

/** A successful completion whose message content is `content`. */
export function completionReply(content: string, tokens = { prompt: 100, completion: 40 }, model = 'mistral-small-latest'): Reply {
  return {
    json: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_764_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: tokens.prompt, completion_tokens: tokens.completion, total_tokens: tokens.prompt + tokens.completion },
    },
  };
}

/** The normal answer: every item labeled; `edit` may reorder, drop or corrupt the list. */
export function openAiAnswer(items: readonly FakeItem[], edit: (answers: Record<string, unknown>[]) => unknown[] = (a) => a): Reply {
  return completionReply(JSON.stringify({ answers: edit(answersFor(items)) }), { prompt: 100 + 10 * items.length, completion: 30 * items.length });
}

export function openAiError(status: number, message: string, type: string, code: string | null = null, headers?: Record<string, string>): Reply {
  return { status, json: { error: { message, type, param: null, code } }, ...(headers ? { headers } : {}) };
}

/** `key` undefined: a local server that takes no key (vLLM, llama.cpp, LM Studio). */
export async function startFakeOpenAi(options: { latencyMs?: number; script?: OpenAiScript; models?: readonly string[]; key?: string | undefined } = {}): Promise<FakeOpenAi> {
  const calls: OpenAiCall[] = [];
  const models = options.models ?? ['mistral-small-latest'];
  const key = 'key' in options ? options.key : FAKE_OPENAI_KEY;
  const fake: { script: OpenAiScript } = { script: options.script ?? (() => undefined) };
  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
      return send(res, openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
    }
    if (url.pathname === '/v1/models' && req.method === 'GET') {
      return send(res, { json: { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) } });
    }
    if (url.pathname !== '/v1/chat/completions' || req.method !== 'POST') return send(res, openAiError(404, `Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error'));
    const parsed = JSON.parse(body) as OpenAiCall['body'];
    if (!models.includes(parsed.model ?? '')) {
      return send(res, openAiError(404, `The model \`${parsed.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
    }
    const user = parsed.messages?.find((m) => m.role === 'user')?.content;
    const call: OpenAiCall = { n: calls.length + 1, headers: req.headers, body: parsed, items: batchFrom(user) };
    calls.push(call);
    return sendAfter(res, fake.script(call) ?? openAiAnswer(call.items), options.latencyMs);
  });
  return Object.assign(scriptedFake(server, calls, fake), { baseUrl: `${server.url}/v1` });
}
