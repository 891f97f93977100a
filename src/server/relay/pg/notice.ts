// What one instance tells the others through NOTIFY: ids only, never text, far below
// PostgreSQL's 8,000-byte payload limit (a uuid and two short numbers). A notice is a
// wake-up: the reader goes to the tables for the content, so a lost notice costs a delay.

export const RELAY_CHANNEL = 'fmc_relay';

export type Notice =
  | { readonly kind: 'message'; readonly instance: string; readonly conversationId: string; readonly seq: number }
  | { readonly kind: 'labels'; readonly instance: string; readonly conversationId: string; readonly seq: number }
  | { readonly kind: 'conversation'; readonly instance: string; readonly conversationId: string }
  /** An account changed (disabled, removed, a new role or password): sent by the users store, from any process. */
  | { readonly kind: 'user'; readonly userId: number };

// "m|<instance>|<conversation>|<seq>": '|' appears in none of the three; "u|<user id>".
export const notice = {
  message: (instance: string, conversationId: string, seq: number): string => `m|${instance}|${conversationId}|${seq}`,
  /** A message's notice less its seq: relay_send_any appends the seq it takes. */
  messagePrefix: (instance: string, conversationId: string): string => `m|${instance}|${conversationId}|`,
  labels: (instance: string, conversationId: string, seq: number): string => `l|${instance}|${conversationId}|${seq}`,
  conversation: (instance: string, conversationId: string): string => `c|${instance}|${conversationId}`,
};

/** The users store writes "u|" and the id in the statement that changes the account (the id is found there). */
export const USER_NOTICE_PREFIX = 'u|';

/** A payload back into a notice; undefined for anything else on the channel. */
export function parseNotice(payload: string): Notice | undefined {
  const [kind, instance, conversationId, seqText] = payload.split('|');
  if (kind === 'u') {
    const userId = Number(instance);
    return Number.isInteger(userId) && userId > 0 && conversationId === undefined ? { kind: 'user', userId } : undefined;
  }
  if (!instance || !conversationId) return undefined;
  const seq = Number(seqText);
  if (kind === 'c') return { kind: 'conversation', instance, conversationId };
  if (!Number.isInteger(seq) || seq < 1) return undefined;
  if (kind === 'm') return { kind: 'message', instance, conversationId, seq };
  if (kind === 'l') return { kind: 'labels', instance, conversationId, seq };
  return undefined;
}
