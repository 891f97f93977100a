import type pg from 'pg';
import { ATTACHMENT_COLUMNS } from '../../../attachments/store.js';

// The relay's statements on PostgreSQL, each under one name: node-postgres prepares a named
// statement once per connection, so PostgreSQL parses and plans it once there, not at every
// call. One module holds them so that the store and the warm-up (warm.ts) prepare the same
// text under the same name (a name given two texts is an error on a connection).

// Every delivery to another instance reads through this: a named (prepared) statement, so
// PostgreSQL plans the three-table join once per connection, not at each read (measured: 0.15
// ms a read against 0.38 unprepared). Columns are named, not `m.*`: a column added by a later
// migration while instances run must not change the prepared statement's result type.
const AFTER = `SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.sender_name, m.sender_role, m.sender_display, m.body, m.labels, m.created_at,
    c.wrapped_key, c.triage, ${ATTACHMENT_COLUMNS}
  FROM messages m JOIN conversations c ON c.id = m.conversation_id
  LEFT JOIN attachments a ON a.conversation_id = m.conversation_id AND a.seq = m.seq
  WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`;

// The same read for several conversations at once (a burst of NOTIFYs wakes many): one
// statement, each row tagged with the number of the read it answers.
const AFTER_MANY = `SELECT w.n, m.id, m.conversation_id, m.seq, m.sender_id, m.sender_name, m.sender_role, m.sender_display, m.body, m.labels, m.created_at,
    c.wrapped_key, c.triage, ${ATTACHMENT_COLUMNS}
  FROM unnest($1::text[], $2::int[], $3::int[]) WITH ORDINALITY AS w(conversation_id, after_seq, lim, n)
  JOIN conversations c ON c.id = w.conversation_id
  CROSS JOIN LATERAL (
    SELECT mm.id, mm.conversation_id, mm.seq, mm.sender_id, mm.sender_name, mm.sender_role, mm.sender_display, mm.body, mm.labels, mm.created_at
    FROM messages mm WHERE mm.conversation_id = w.conversation_id AND mm.seq > w.after_seq ORDER BY mm.seq LIMIT w.lim
  ) m
  LEFT JOIN attachments a ON a.conversation_id = m.conversation_id AND a.seq = m.seq
  ORDER BY w.n, m.seq`;

// The conversations' summaries asked for in one turn (one or many: the same named statement).
// Columns named, as in AFTER.
const SUMMARIES = `SELECT id, customer_id, customer_name, status, created_at, updated_at, last_seq, version, wrapped_key, triage, pending, waiting_since,
    assignee_id, assignee_name, assignee_display
  FROM conversations WHERE id = ANY($1::text[])`;

// A send and a labelling in one statement each (migrations 25 and 24). A send's text goes
// sealed for up to CANDIDATES seqs from the guess ($9): one made stale by another instance's
// message or two still fits.
const SEND = 'SELECT outcome, out_seq, out_id, out_key, out_tokens FROM relay_send_any($1, $2, $3, $4, $5, $6, $7, $8, $9::bytea[], $10, $11, $12, $13)';
export const CANDIDATES = 3;
const SET_LABELS = 'SELECT outcome, out_triage, out_key FROM relay_set_labels($1, $2, $3, $4, $5, $6, $7, $8)';
// Several of them (of different conversations) asked for in one event-loop turn: one statement
// (migration 25), each answer tagged with its place.
const WRITE_MANY = `SELECT b_n, b_outcome, b_seq, b_id, b_key, b_tokens, b_triage
  FROM relay_write_many($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::boolean[],
    $11::text[], $12::bytea[], $13::int, $14::float8[], $15::float8[], $16::bytea[], $17::boolean[], $18::bytea[], $19::bytea[])`;

export interface SendRow {
  outcome: 'stored' | 'duplicate' | 'missing' | 'closed' | 'retry' | 'limited';
  out_seq: number | null;
  out_id: string | null;
  out_key: Buffer | null;
  out_tokens: number | null;
}

/** A send's answer, or a labelling's ('stored', 'missing' or 'retry', with the current triage). */
export interface WriteRow extends SendRow {
  out_triage: Buffer | null;
}

/** relay_send_any's arguments. */
export interface SendWrite {
  readonly kind: 's';
  readonly conversationId: string;
  readonly sender: { readonly id: number; readonly username: string; readonly role: string; readonly displayName?: string | undefined };
  /** Agents and admins may send into any conversation; a customer only into their own. */
  readonly staff: boolean;
  readonly clientId: string;
  /** The seq guessed (null: none yet; the answer is 'retry' with the next one). */
  readonly seq: number | null;
  /** The text sealed for seq, seq + 1, … up to CANDIDATES (null: none yet). */
  readonly bodies: readonly Buffer[] | null;
  readonly now: number;
  /** The message notice less its seq (notice.messagePrefix). */
  readonly notice: string;
  /** The sender's message bucket (perSecond 0: no limit). */
  readonly burst: number;
  readonly perSecond: number;
}

/** relay_set_labels's arguments. */
export interface LabelWrite {
  readonly kind: 'l';
  readonly conversationId: string;
  readonly seq: number;
  /** The labels sealed for the message (null when the triage is not known). */
  readonly labels: Buffer | null;
  /** Whether this instance knows the conversation's triage: `expected` is it, `triage` it with the labels folded in. */
  readonly known: boolean;
  readonly expected: Buffer | null;
  readonly triage: Buffer | null;
  readonly now: number;
  readonly notice: string;
}

export type Write = SendWrite | LabelWrite;

export interface WriteManyRow {
  b_n: number;
  b_outcome: string;
  b_seq: number | null;
  b_id: string | null;
  b_key: Buffer | null;
  b_tokens: number | null;
  b_triage: Buffer | null;
}

const sendValues = (w: SendWrite): unknown[] => [
  w.conversationId,
  w.sender.id,
  w.sender.username,
  w.sender.role,
  w.sender.displayName ?? null,
  w.staff,
  w.clientId,
  w.seq,
  w.bodies,
  w.now,
  w.notice,
  w.burst,
  w.perSecond,
];
const labelValues = (w: LabelWrite): unknown[] => [w.conversationId, w.seq, w.labels, w.known, w.expected, w.triage, w.now, w.notice];

/** relay_write_many's 19 arguments: arrays with one place per write (null where only the other kind has one), the candidates CANDIDATES places a send. */
function writeManyValues(batch: readonly Write[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 17 }, () => []);
  const bodies: (Buffer | null)[] = [];
  for (const w of batch) {
    const send = w.kind === 's' ? [w.sender.id, w.sender.username, w.sender.role, w.sender.displayName ?? null, w.staff, w.clientId, w.burst, w.perSecond] : Array(8).fill(null);
    const labels = w.kind === 'l' ? [w.labels, w.known, w.expected, w.triage] : Array(4).fill(null);
    [w.kind, w.conversationId, w.seq, w.now, w.notice, ...send, ...labels].forEach((x, i) => columns[i]!.push(x));
    for (let k = 0; k < CANDIDATES; k++) bodies.push(w.kind === 's' ? (w.bodies?.[k] ?? null) : null);
  }
  // $1-$11, the candidates and their width, $14-$19.
  return [...columns.slice(0, 11), bodies, CANDIDATES, ...columns.slice(11)];
}

/** The relay's named statements with their values. */
export const statement = {
  after: (conversationId: string, afterSeq: number, limit: number): pg.QueryConfig => ({ name: 'fmc-relay-after', text: AFTER, values: [conversationId, afterSeq, limit] }),
  afterMany: (reads: readonly { conversationId: string; afterSeq: number; limit: number }[]): pg.QueryConfig => ({
    name: 'fmc-relay-after-many',
    text: AFTER_MANY,
    values: [reads.map((r) => r.conversationId), reads.map((r) => r.afterSeq), reads.map((r) => r.limit)],
  }),
  summaries: (ids: readonly string[]): pg.QueryConfig => ({ name: 'fmc-relay-summaries', text: SUMMARIES, values: [[...new Set(ids)]] }),
  /** One write alone: its own function's statement. */
  write: (one: Write): pg.QueryConfig => (one.kind === 's' ? { name: 'fmc-relay-send', text: SEND, values: sendValues(one) } : { name: 'fmc-relay-set-labels', text: SET_LABELS, values: labelValues(one) }),
  writeMany: (batch: readonly Write[]): pg.QueryConfig => ({ name: 'fmc-relay-write-many', text: WRITE_MANY, values: writeManyValues(batch) }),
};
