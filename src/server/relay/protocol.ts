import { z } from 'zod';
import type { Role } from '../../store/users.js';
import type { ErrorCode } from '../../errors.js';
import type { LabelResult } from '../../labels.js';
import type { Alert } from '../../report/report-data.js';
import { messageFor, type ChatMessage, type ConversationView, type MessageView } from './store.js';

// The JSON frames of /ws, both ways (documented in the README, "Chat relay").

/**
 * An id a client names (a conversation, a `clientId`, a file): 1-64 characters and no control
 * character. PostgreSQL refuses a NUL in text, and it checks every argument of a statement
 * before it runs any: one such id would fail the batched write of everyone else's messages.
 * The REST routes take the same rule (routes/conversations.ts `idParams`).
 */
export const ID_MAX_LENGTH = 64;
export const ID_PATTERN = '^[^\\u0000-\\u001f\\u007f]+$';
const id = z.string().min(1).max(ID_MAX_LENGTH).regex(new RegExp(ID_PATTERN), 'an id holds no control character');

// Text length is checked by the relay against its limit, so the error can name the limit.
const clientFrame = z.discriminatedUnion('type', [
  // `attachmentId`: a file the sender uploaded to this conversation (POST …/attachments).
  z.object({ type: z.literal('send'), conversationId: id, clientId: id, text: z.string(), attachmentId: id.optional() }),
  z.object({ type: z.literal('resume'), conversationId: id, afterSeq: z.number().int().min(0) }),
  z.object({ type: z.literal('leave'), conversationId: id }),
  z.object({ type: z.literal('watch') }),
  // A renewed access token for this socket (same user): it stays open past the old expiry.
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(4096) }),
]);

export type ClientFrame = z.infer<typeof clientFrame>;

export type ServerFrame =
  | { type: 'hello'; user: { id: number; username: string; role: Role }; heartbeatMs: number }
  | { type: 'ack'; conversationId: string; clientId: string; seq: number; id: number; duplicate: boolean }
  | ({ type: 'message' } & Omit<MessageView, 'labels'>)
  | { type: 'labels'; conversationId: string; seq: number; labels: LabelResult }
  | { type: 'resumed'; conversationId: string; lastSeq: number; more: boolean }
  | { type: 'conversation'; conversation: ConversationView }
  | { type: 'error'; code: ErrorCode; message: string; clientId?: string; conversationId?: string; retryAfterMs?: number }
  // To watching agents: a spike alert, and "the Trends figures changed" (GET /api/trends).
  | { type: 'alert'; alert: Alert }
  | { type: 'trends'; version: number }
  // The answer to `auth`: the socket now lasts until this token's expiry.
  | { type: 'authed'; expiresAt: string };

/** A client frame, or why it is not one (the message never quotes the frame: it may hold text). */
export function parseClientFrame(raw: string): { frame: ClientFrame } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: 'frame is not JSON' };
  }
  const parsed = clientFrame.safeParse(value);
  if (parsed.success) return { frame: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'frame';
  return { error: `${where}: ${issue?.message ?? 'invalid'}; expected one of send {conversationId, clientId, text}, resume {conversationId, afterSeq}, leave {conversationId}, watch, auth {token}` };
}

/** The frame of a message for staff or a customer (see messageFor): live and replayed alike. */
export function messageFrame(message: ChatMessage, staff: boolean): ServerFrame {
  const m = messageFor(message, staff);
  return {
    type: 'message',
    conversationId: m.conversationId,
    seq: m.seq,
    id: m.id,
    sender: m.sender,
    text: m.text,
    createdAt: m.createdAt,
    ...(m.attachment && { attachment: m.attachment }),
  };
}
