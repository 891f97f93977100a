import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStorageError } from '../store/sqlite/data-db.js';
import { FmcError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] },
  },
  required: ['error'],
} as const;

// Fastify's and its plugins' 4xx errors, mapped onto our catalogue by status.
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'FMC_ERR_BAD_REQUEST',
  401: 'FMC_ERR_UNAUTHORIZED',
  403: 'FMC_ERR_FORBIDDEN',
  404: 'FMC_ERR_NOT_FOUND',
  413: 'FMC_ERR_TOO_LARGE',
  415: 'FMC_ERR_MEDIA_TYPE',
  429: 'FMC_ERR_RATE_LIMITED',
  503: 'FMC_ERR_SHUTTING_DOWN',
};

/** Status, code and a message safe to show: never a stack, never an unexpected error's text. */
export function describeError(err: FastifyError | Error, requestId: string): { status: number; body: ErrorBody } {
  if (err instanceof FmcError) return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  // A full disk or a read-only database is not a bug in the request: 503, retry later.
  if (isStorageError(err)) {
    return { status: 503, body: { error: { code: 'FMC_ERR_STORAGE', message: `the server cannot write its database now (${(err as { code?: string }).code}); nothing was stored: retry later` } } };
  }
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'FMC_ERR_BAD_REQUEST';
    return { status, body: { error: { code, message: err.message } } };
  }
  return { status: 500, body: { error: { code: 'FMC_ERR_INTERNAL', message: `internal error; the server log has the details under request id ${requestId}` } } };
}

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = describeError(err, request.id);
  if (status >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ code: body.error.code, msg: body.error.message }, 'request refused');
  // Sent as a string: a route's response schema for this status (health's 503) must not reshape it.
  void reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody = { error: { code: 'FMC_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}` } };
  void reply.code(404).send(body);
}
