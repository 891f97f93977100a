import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionGrant } from '../auth/sessions.js';

// The refresh secret lives only in this cookie: httpOnly (no script reads it, so an XSS cannot
// carry it off), SameSite=Strict (no other site's page makes the browser send it), and scoped
// to /api/auth (no other request carries it). Each session has its own cookie, named after
// its id: two tabs logged in as two users (an agent testing as a customer) never swap sessions.

export const COOKIE_PATH = '/api/auth';
const PREFIX = 'fmc_rt_';

export const cookieName = (sessionId: string): string => `${PREFIX}${sessionId}`;

export function setRefreshCookie(request: FastifyRequest, reply: FastifyReply, grant: SessionGrant): void {
  void reply.setCookie(cookieName(grant.id), grant.secret, {
    httpOnly: true,
    sameSite: 'strict',
    // Secure when the client reached us over HTTPS (directly, or through a trusted proxy).
    secure: request.protocol === 'https',
    path: COOKIE_PATH,
    expires: new Date(grant.expiresAt),
  });
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply, sessionId: string): void {
  void reply.clearCookie(cookieName(sessionId), { httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', path: COOKIE_PATH });
}

export const refreshSecret = (request: FastifyRequest, sessionId: string): string | undefined => request.cookies[cookieName(sessionId)];
