import type { FastifyRequest } from 'fastify';

// Every logged URL goes through here: a query may carry a credential (`?token=`, `?ticket=`,
// or the same name percent-encoded, `tok%65n=`, which the query parser decodes alike), and
// request lines are logged at info. Values are kept only for parameters known to be harmless.
const SHOWN_PARAMS = new Set(['afterSeq', 'limit', 'text_column', 'id_column', 'skip_invalid']);
const PLAIN_NAME = /^[\w.-]{1,32}$/;

function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** `url` with each query value redacted (names kept when short and plain, else redacted too). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1);
  if (query === '') return url;
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = decoded(eq < 0 ? pair : pair.slice(0, eq));
    if (!PLAIN_NAME.test(name)) return '[redacted]';
    if (SHOWN_PARAMS.has(name)) return pair;
    return `${name}=[redacted]`;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Fastify's request serializer, with the URL redacted: used for every route's log lines. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

/**
 * The serializers every server log line goes through: `req` (Fastify's request lines) and
 * `path` (@fastify/websocket logs an upgrade to a path without a handler under that key).
 */
export const LOG_SERIALIZERS = {
  req: serializeRequest,
  path: (path: unknown): unknown => (typeof path === 'string' ? redactUrl(path) : path),
} as const;
