import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Role, User } from '../../store/users.js';
import { toScoredLabels, URGENCIES, type LabelResult, type Urgency } from '../../labels.js';
import type { Keyring } from './keyring.js';
import { aad, open, openJson, seal, sealJson } from './seal.js';

export interface Sender {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
}

export interface ChatMessage {
  readonly conversationId: string;
  readonly seq: number;
  readonly id: number;
  readonly sender: Sender;
  readonly text: string;
  readonly createdAt: string;
  /** Customer messages, once classified; only agents and admins are shown them. */
  readonly labels?: LabelResult;
}

export type ConversationStatus = 'open' | 'closed';

/** What the agents' list shows; `urgency` is the highest among the customer's labeled messages. */
export interface ConversationSummary {
  readonly id: string;
  readonly customer: { readonly id: number; readonly username: string };
  readonly status: ConversationStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastSeq: number;
  readonly urgency: Urgency | null;
  readonly claim: boolean;
}

/**
 * A summary as a user is sent it: the triage (`urgency`, `claim`) only to agents and admins,
 * since customers are not shown their triage.
 */
export type ConversationView = Omit<ConversationSummary, 'urgency' | 'claim'> & Partial<Pick<ConversationSummary, 'urgency' | 'claim'>>;

interface Triage {
  urgency: Urgency | null;
  claim: boolean;
}

export interface ConversationStore {
  create(customer: User): ConversationSummary;
  /** Who owns it and whether it is open: the membership and state checks need no decryption. */
  head(id: string): { customerId: number; status: ConversationStatus } | undefined;
  summary(id: string): ConversationSummary | undefined;
  /** Open conversations, then up to `closedLimit` recently closed ones, by open urgency. */
  list(filter: { customerId?: number; closedLimit: number }): ConversationSummary[];
  /** False when it was already closed (or does not exist). */
  close(id: string): boolean;
  /**
   * Persists a message with the next seq, or returns the one already stored under this
   * sender's clientId (`duplicate`). Undefined when the conversation is not open.
   */
  append(input: { conversationId: string; sender: Sender; clientId: string; text: string }): { message: ChatMessage; duplicate: boolean } | undefined;
  /** The message this sender already stored under `clientId`, if any (seq and id only). */
  existing(conversationId: string, senderId: number, clientId: string): { seq: number; id: number } | undefined;
  after(conversationId: string, afterSeq: number, limit: number): ChatMessage[];
  /** Stores a customer message's labels and folds them into the conversation's triage. */
  setLabels(conversationId: string, seq: number, labels: LabelResult): void;
  /**
   * Replaces a message's labels (an agent's correction) and recomputes the triage from every
   * labeled message: a correction may lower it, which folding cannot.
   */
  relabel(conversationId: string, seq: number, labels: LabelResult): void;
}

interface ConversationRow {
  id: string;
  customer_id: number;
  customer_name: string;
  status: ConversationStatus;
  created_at: number;
  updated_at: number;
  last_seq: number;
  wrapped_key: Buffer;
  triage: Buffer | null;
}

interface MessageRow {
  id: number;
  conversation_id: string;
  seq: number;
  sender_id: number;
  sender_name: string;
  sender_role: Role;
  body: Buffer;
  labels: Buffer | null;
  created_at: number;
}

const rank = (u: Urgency | null): number => (u === null ? -1 : URGENCIES.indexOf(u));
const iso = (ms: number): string => new Date(ms).toISOString();
const SELECT_CONVERSATION = 'SELECT c.*, u.username AS customer_name FROM conversations c JOIN users u ON u.id = c.customer_id';

/** Conversations and messages in the data DB; every text, label and triage is ciphertext there. */
export function createConversationStore(db: Database, keyring: Keyring): ConversationStore {
  const insertConversation = db.prepare('INSERT INTO conversations (id, customer_id, status, created_at, updated_at, wrapped_key, master_key_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const selectHead = db.prepare('SELECT customer_id, status FROM conversations WHERE id = ?');
  const selectOne = db.prepare(`${SELECT_CONVERSATION} WHERE c.id = ?`);
  // Every open conversation (an old urgent one must not fall off the agents' list), then the
  // most recent closed ones up to the limit.
  const selectAll = db.prepare(`${SELECT_CONVERSATION} WHERE c.status = 'open' OR c.id IN (SELECT id FROM conversations WHERE status = 'closed' ORDER BY updated_at DESC LIMIT ?)`);
  const selectOwn = db.prepare(`${SELECT_CONVERSATION} WHERE c.customer_id = ? AND (c.status = 'open' OR c.id IN (SELECT id FROM conversations WHERE customer_id = c.customer_id AND status = 'closed' ORDER BY updated_at DESC LIMIT ?))`);
  const closeOne = db.prepare("UPDATE conversations SET status = 'closed', updated_at = ? WHERE id = ? AND status = 'open'");
  const nextSeq = db.prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? AND status = 'open' RETURNING last_seq, wrapped_key");
  const byClientId = db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND sender_id = ? AND client_id = ?');
  const insertMessage = db.prepare('INSERT INTO messages (conversation_id, seq, sender_id, sender_name, sender_role, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const selectAfter = db.prepare('SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  const updateLabels = db.prepare('UPDATE messages SET labels = ? WHERE conversation_id = ? AND seq = ?');
  const selectTriage = db.prepare('SELECT triage, wrapped_key FROM conversations WHERE id = ?');
  const updateTriage = db.prepare('UPDATE conversations SET triage = ?, updated_at = ? WHERE id = ?');

  const keyOf = (id: string, wrapped: Buffer): Buffer => keyring.dataKey(id, wrapped);

  function triageOf(id: string, key: Buffer, sealed: Buffer | null): Triage {
    if (sealed === null) return { urgency: null, claim: false };
    return openJson(key, sealed, aad.triage(id)) as Triage;
  }

  function toSummary(row: ConversationRow): ConversationSummary {
    const triage = triageOf(row.id, keyOf(row.id, row.wrapped_key), row.triage);
    return {
      id: row.id,
      customer: { id: row.customer_id, username: row.customer_name },
      status: row.status,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      lastSeq: row.last_seq,
      urgency: triage.urgency,
      claim: triage.claim,
    };
  }

  function toMessage(row: MessageRow, key: Buffer): ChatMessage {
    const message: ChatMessage = {
      conversationId: row.conversation_id,
      seq: row.seq,
      id: row.id,
      sender: { id: row.sender_id, username: row.sender_name, role: row.sender_role },
      text: open(key, row.body, aad.text(row.conversation_id, row.seq)).toString('utf8'),
      createdAt: iso(row.created_at),
    };
    if (row.labels === null) return message;
    const stored = openJson(key, row.labels, aad.labels(row.conversation_id, row.seq));
    const labels = toScoredLabels(stored);
    const provider = (stored as { provider?: unknown }).provider;
    return labels ? { ...message, labels: { ...labels, provider: typeof provider === 'string' ? provider : 'unknown' } } : message;
  }

  const append = db.transaction((input: { conversationId: string; sender: Sender; clientId: string; text: string }) => {
    const { conversationId, sender, clientId, text } = input;
    const existing = byClientId.get(conversationId, sender.id, clientId) as MessageRow | undefined;
    const head = selectHead.get(conversationId) as { customer_id: number; status: ConversationStatus } | undefined;
    if (!head) return undefined;
    if (existing) {
      const { wrapped_key } = selectTriage.get(conversationId) as { wrapped_key: Buffer };
      return { message: toMessage(existing, keyOf(conversationId, wrapped_key)), duplicate: true };
    }
    const now = Date.now();
    const next = nextSeq.get(now, conversationId) as { last_seq: number; wrapped_key: Buffer } | undefined;
    if (!next) return undefined;
    const seq = next.last_seq;
    const body = seal(keyOf(conversationId, next.wrapped_key), Buffer.from(text, 'utf8'), aad.text(conversationId, seq));
    const info = insertMessage.run(conversationId, seq, sender.id, sender.username, sender.role, clientId, body, now);
    const message: ChatMessage = { conversationId, seq, id: Number(info.lastInsertRowid), sender, text, createdAt: iso(now) };
    return { message, duplicate: false };
  });

  const setLabels = db.transaction((conversationId: string, seq: number, labels: LabelResult) => {
    const row = selectTriage.get(conversationId) as { triage: Buffer | null; wrapped_key: Buffer } | undefined;
    if (!row) return;
    const key = keyOf(conversationId, row.wrapped_key);
    updateLabels.run(sealJson(key, labels, aad.labels(conversationId, seq)), conversationId, seq);
    const triage = triageOf(conversationId, key, row.triage);
    const next: Triage = { urgency: rank(labels.urgency) > rank(triage.urgency) ? labels.urgency : triage.urgency, claim: triage.claim || labels.is_claim };
    updateTriage.run(sealJson(key, next, aad.triage(conversationId)), Date.now(), conversationId);
  });

  const selectAllLabels = db.prepare('SELECT seq, labels FROM messages WHERE conversation_id = ? AND labels IS NOT NULL');
  const relabel = db.transaction((conversationId: string, seq: number, labels: LabelResult) => {
    const row = selectTriage.get(conversationId) as { wrapped_key: Buffer } | undefined;
    if (!row) return;
    const key = keyOf(conversationId, row.wrapped_key);
    updateLabels.run(sealJson(key, labels, aad.labels(conversationId, seq)), conversationId, seq);
    const triage: Triage = { urgency: null, claim: false };
    for (const r of selectAllLabels.all(conversationId) as { seq: number; labels: Buffer }[]) {
      const l = openJson(key, r.labels, aad.labels(conversationId, r.seq)) as LabelResult;
      if (rank(l.urgency) > rank(triage.urgency)) triage.urgency = l.urgency;
      triage.claim ||= l.is_claim;
    }
    updateTriage.run(sealJson(key, triage, aad.triage(conversationId)), Date.now(), conversationId);
  });

  return {
    create(customer) {
      const id = randomUUID();
      const { wrapped } = keyring.newDataKey(id);
      const now = Date.now();
      insertConversation.run(id, customer.id, 'open', now, now, wrapped, keyring.masterKeyId);
      return toSummary(selectOne.get(id) as ConversationRow);
    },
    head(id) {
      const row = selectHead.get(id) as { customer_id: number; status: ConversationStatus } | undefined;
      return row && { customerId: row.customer_id, status: row.status };
    },
    summary(id) {
      const row = selectOne.get(id) as ConversationRow | undefined;
      return row && toSummary(row);
    },
    list({ customerId, closedLimit }) {
      const rows = (customerId === undefined ? selectAll.all(closedLimit) : selectOwn.all(customerId, closedLimit)) as ConversationRow[];
      return rows.map(toSummary).sort(byOpenUrgency);
    },
    close: (id) => closeOne.run(Date.now(), id).changes > 0,
    append: (input) => append(input),
    existing(conversationId, senderId, clientId) {
      const row = byClientId.get(conversationId, senderId, clientId) as MessageRow | undefined;
      return row && { seq: row.seq, id: row.id };
    },
    after(conversationId, afterSeq, limit) {
      const rows = selectAfter.all(conversationId, afterSeq, limit) as MessageRow[];
      if (rows.length === 0) return [];
      const { wrapped_key } = selectTriage.get(conversationId) as { wrapped_key: Buffer };
      const key = keyOf(conversationId, wrapped_key);
      return rows.map((r) => toMessage(r, key));
    },
    setLabels: (conversationId, seq, labels) => setLabels(conversationId, seq, labels),
    relabel: (conversationId, seq, labels) => relabel(conversationId, seq, labels),
  };
}

/** Open before closed; then the most recent activity (the customers' order: it must not hint at their triage). */
export function byOpenRecency(a: ConversationView, b: ConversationView): number {
  if (a.status !== b.status) return a.status === 'open' ? -1 : 1;
  return b.updatedAt.localeCompare(a.updatedAt);
}

/** Open before closed; then the highest urgency; then the most recent activity. */
export function byOpenUrgency(a: ConversationSummary, b: ConversationSummary): number {
  if (a.status !== b.status) return a.status === 'open' ? -1 : 1;
  const urgency = rank(b.urgency) - rank(a.urgency);
  if (urgency !== 0) return urgency;
  return b.updatedAt.localeCompare(a.updatedAt);
}
