import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Loopback HTTP plumbing shared by the fake Gemini and Ollama servers.

/** What a fake answers to one request; 'hang' never answers (until the server closes). */
export type Reply =
  | { readonly status?: number; readonly json?: unknown; readonly raw?: string; readonly contentType?: string; readonly headers?: Readonly<Record<string, string>>; readonly delayMs?: number }
  | 'hang';

export interface LoopbackServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function send(res: ServerResponse, reply: Reply): Promise<void> {
  if (reply === 'hang') return;
  if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
  if (res.destroyed) return;
  const body = reply.raw ?? JSON.stringify(reply.json ?? {});
  res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json; charset=UTF-8', ...reply.headers });
  res.end(body);
}

/** Listens on 127.0.0.1, an ephemeral port. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a test holds of a fake API: its address, the calls it saw, its script. */
export interface ScriptedFake<Call, Script> {
  readonly url: string;
  readonly calls: Call[];
  /** Replaceable between runs. */
  script: Script;
  close(): Promise<void>;
}

/** The handle of a fake whose handler reads its script from `state`. */
export function scriptedFake<Call, Script>(server: LoopbackServer, calls: Call[], state: { script: Script }): ScriptedFake<Call, Script> {
  return {
    url: server.url,
    calls,
    get script() {
      return state.script;
    },
    set script(s) {
      state.script = s;
    },
    close: server.close,
  };
}

/** Sends `reply` after the fake's latency (a hanging reply does not wait for it). */
export async function sendAfter(res: ServerResponse, reply: Reply, latencyMs: number | undefined): Promise<void> {
  if (reply !== 'hang' && latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
  return send(res, reply);
}

/** A port on which nothing listens: bound, then released. */
export async function closedPort(): Promise<number> {
  const s = await listen(async () => undefined);
  const port = Number(new URL(s.url).port);
  await s.close();
  return port;
}
