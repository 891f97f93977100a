import { answersFor, batchFrom, type FakeItem } from './labels.js';
import { listen, readBody, scriptedFake, send, sendAfter, type Reply, type ScriptedFake } from './http.js';

// A fake Ollama server on loopback with the endpoints the `ollama` client and fmc use:
//   GET /api/version -> {version};  GET /api/tags -> {models:[{name, model, digest, ...}]}
//   POST /api/chat (stream:false) -> {model, message:{role,content}, done, prompt_eval_count, eval_count}
// Errors are Ollama's {error: "..."} bodies (404 "model ... not found, try pulling it first").

export interface OllamaCall {
  readonly n: number;
  readonly body: { model: string; messages: { role: string; content: string }[]; format?: unknown; options?: { temperature?: number }; stream?: boolean };
  readonly items: FakeItem[];
}

export type OllamaScript = (call: OllamaCall) => Reply | undefined;

export type FakeOllama = ScriptedFake<OllamaCall, OllamaScript>;

export function chatReply(model: string, content: string, tokens = { prompt: 120, output: 50 }): Reply {
  return {
    json: {
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      load_duration: 1000,
      prompt_eval_count: tokens.prompt,
      prompt_eval_duration: 1000,
      eval_count: tokens.output,
      eval_duration: 1000,
    },
  };
}

export async function startFakeOllama(options: { models?: readonly string[]; script?: OllamaScript; latencyMs?: number } = {}): Promise<FakeOllama> {
  const models = options.models ?? ['mistral:latest'];
  const calls: OllamaCall[] = [];
  const fake: { script: OllamaScript } = { script: options.script ?? (() => undefined) };
  const server = await listen(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const body = await readBody(req);
    if (req.method === 'GET' && path === '/api/version') return send(res, { json: { version: '0.12.6' } });
    if (req.method === 'GET' && path === '/api/tags') {
      return send(res, {
        json: {
          models: models.map((name) => ({
            name,
            model: name,
            modified_at: '2026-11-01T10:00:00Z',
            size: 4_113_301_824,
            digest: 'f974a74358d62a017b37c6f424fcdf2744ca02926c4f952513ddf474b2fa5091',
            details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '7.2B', quantization_level: 'Q4_0' },
          })),
        },
      });
    }
    if (req.method === 'POST' && path === '/api/chat') {
      const parsed = JSON.parse(body) as OllamaCall['body'];
      const known = models.some((m) => m === parsed.model || m === `${parsed.model}:latest`);
      if (!known) return send(res, { status: 404, json: { error: `model "${parsed.model}" not found, try pulling it first` } });
      const call: OllamaCall = { n: calls.length + 1, body: parsed, items: batchFrom(parsed.messages.at(-1)?.content) };
      calls.push(call);
      return sendAfter(res, fake.script(call) ?? chatReply(parsed.model, JSON.stringify({ answers: answersFor(call.items) })), options.latencyMs);
    }
    return send(res, { status: 404, raw: '404 page not found', contentType: 'text/plain' });
  });
  return scriptedFake(server, calls, fake);
}
