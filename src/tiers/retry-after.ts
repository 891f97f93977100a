import { subscribe } from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';

// @google/genai calls the global fetch and its ApiError keeps only the status and body, so a
// proxy's `Retry-After` header would be lost. Node's fetch (undici) publishes every response's
// headers on a diagnostics channel: a request tagged with our own header can be matched to
// the Retry-After its response carried, without patching the global fetch.

export const CALL_HEADER = 'x-fmc-call';

const pending = new Map<string, number>();
let subscribed = false;

interface UndiciHeadersMessage {
  readonly request: { readonly headers?: unknown };
  readonly response: { readonly statusCode: number; readonly headers: readonly (Buffer | string)[] };
}

/** undici has stored request headers both as a flat [name, value, ...] array and as raw text. */
function headerValue(headers: unknown, name: string): string | undefined {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  if (typeof headers === 'string') {
    const line = headers.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name}:`));
    return line?.slice(name.length + 1).trim();
  }
  return undefined;
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when neither parses. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function onHeaders(message: unknown): void {
  const { request, response } = message as UndiciHeadersMessage;
  if (response.statusCode < 400) return;
  const id = headerValue(request.headers, CALL_HEADER);
  if (id === undefined) return;
  const retryAfter = parseRetryAfter(headerValue(response.headers.map(String), 'retry-after'));
  if (retryAfter !== undefined) pending.set(id, retryAfter);
}

/** A fresh id to send in CALL_HEADER; starts listening on first use. */
export function newCallId(): string {
  if (!subscribed) {
    subscribe('undici:request:headers', onHeaders);
    subscribed = true;
  }
  return randomUUID();
}

/** The Retry-After (ms) the failed response to `id` carried, if any; forgets it. */
export function takeRetryAfter(id: string): number | undefined {
  const ms = pending.get(id);
  pending.delete(id);
  return ms;
}
