import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { attachmentTaken, joinedAttachment, metaOf, type AttachmentMeta, type AttachmentRow, type JoinedAttachment } from '../../../attachments/store.js';
import type { Correction } from '../../../corrections/store.js';
import { labelsOf } from '../../../corrections/labels.js';
import { FmcError } from '../../../errors.js';
import { toScoredLabels, TOPICS, URGENCIES, type LabelResult, type Urgency } from '../../../labels.js';
import { asDbError } from '../../../store/pg/pool.js';
import { sqlOn } from '../../../store/pg/sql.js';
import type { Role } from '../../../store/users.js';
import type { Keyring } from '../keyring.js';
import type { MessageRate } from '../rate-limit.js';
import type { AppendInput, RelayStore, SendInput, SendOutcome } from '../relay-store.js';
import { aad, open, openJson, seal, sealJson } from '../seal.js';
import { byOpenUrgency, type ChatMessage, type ConversationState, type ConversationStatus, type ConversationSummary } from '../store.js';
import { notice, RELAY_CHANNEL } from './notice.js';
import { CANDIDATES, statement, type SendRow, type SendWrite, type Write, type WriteManyRow, type WriteRow } from './statements.js';

// The relay's tables on PostgreSQL (migrations.ts). Each call is one transaction on one pooled
// connection, except the sends and labellings of one event-loop turn, which share one
// (relay_write_many: one statement for the turn); a message's seq comes from its
// conversation's row, locked for the transaction, so seqs follow commit order and a rollback
// leaves no gap. The NOTIFY that wakes the other
// instances is sent inside the same transaction: PostgreSQL delivers it on commit, never on
// rollback, and it carries ids only.

interface ConversationRow {
  id: string;
  customer_id: string;
  customer_name: string;
  status: ConversationStatus;
  created_at: string;
  updated_at: string;
  last_seq: number;
  version: string;
  wrapped_key: Buffer;
  triage: Buffer | null;
  pending: boolean;
  waiting_since: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  assignee_display: string | null;
}

interface MessageRow extends JoinedAttachment {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  sender_name: string;
  sender_role: Role;
  sender_display: string | null;
  body: Buffer;
  labels: Buffer | null;
  created_at: string;
}

/** A message read with its conversation's key and triage. */
interface Joined extends MessageRow {
  wrapped_key: Buffer;
  triage: Buffer | null;
}

interface Triage {
  urgency: Urgency | null;
  claim: boolean;
  topics?: string[];
}

const TOPIC_ORDER: readonly string[] = TOPICS;
const sortTopics = (topics: readonly string[]): string[] => [...topics].sort((a, b) => TOPIC_ORDER.indexOf(a) - TOPIC_ORDER.indexOf(b));
const stateOf = (row: ConversationRow): ConversationState => (row.status === 'closed' ? 'closed' : row.pending ? 'pending' : 'open');

const rank = (u: Urgency | null): number => (u === null ? -1 : URGENCIES.indexOf(u));
const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

// Texts longer than this (bytes) are sealed for the guess alone: the candidates cost a seal
// each and their bytes on the wire.
const CANDIDATE_BYTES = 2048;
// A conversation where a guess went stale in the last this many ms gets the candidates; a
// quiet one (a single instance writing) is sealed once.
const CONTENDED_MS = 10_000;

// A guess found stale this many times in a row (others keep sending into the conversation)
// is taken under the row lock instead: the next attempt cannot miss.
const GUESSES = 3;
// Conversations whose key, next seq and triage this instance remembers.
const SEEN_MAX = 10_000;
// How long a write waits for this instance's previous write to the same conversation.
const TURN_WAIT_MS = 1000;

/** Resolves when `promise` settles or after `ms`, whichever comes first. */
function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/** What this instance last saw of a conversation: a guess to seal with, which the database checks. */
interface Seen {
  wrapped: Buffer;
  /** The seq the next message should get. */
  next: number;
  /** The triage ciphertext as last seen (null: none yet); absent: not seen. */
  triage?: Buffer | null;
  /** The number (of `labelled`) of this instance's last labelling here. */
  labelled?: number;
  /** When a guess here last went stale (Date.now()). */
  stale?: number;
}

/** One answer of a batch: a value, or the error of that ask alone (its row would not decrypt). */
type Settled<R> = { readonly value: R } | { readonly error: unknown };
const settle = <R>(compute: () => R): Settled<R> => {
  try {
    return { value: compute() };
  } catch (error) {
    return { error };
  }
};

/**
 * Asks made in one turn of the event loop (a burst of NOTIFYs wakes many conversations at
 * once) answered together: `answer` gets them all and makes one statement of them. With
 * `inFlight` statements already out, the asks wait for one to come back and go together in
 * the next: the busier the relay, the bigger the batches (each statement is a round trip,
 * and a wake-up of a PostgreSQL backend, that the relay and the server pay in CPU), for at
 * most one statement's wait.
 */
function perTurn<A, R>(answer: (asks: readonly A[]) => Promise<Settled<R>[]>, inFlight = Infinity): (ask: A) => Promise<R> {
  let pending: { ask: A; resolve: (value: R) => void; reject: (err: unknown) => void }[] = [];
  let out = 0;
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled || pending.length === 0 || out >= inFlight) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0 || out >= inFlight) return;
    const batch = pending;
    pending = [];
    out++;
    answer(batch.map((p) => p.ask))
      .then(
        (results) =>
          batch.forEach((p, i) => {
            const result = results[i]!;
            if ('value' in result) p.resolve(result.value);
            else p.reject(result.error);
          }),
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        out--;
        schedule();
      });
  };
  return (ask) =>
    new Promise((resolve, reject) => {
      pending.push({ ask, resolve, reject });
      schedule();
    });
}

// Statements of a batcher out at once (see perTurn).
const READS_IN_FLIGHT = 1;
const WRITES_IN_FLIGHT = 2;

export interface PgRelayStoreOptions {
  /** The URL, to name the server in a connection error (never the password). */
  readonly url: string;
  /** This process's name in the NOTIFY payloads: its own notices are not passed on twice. */
  readonly instance: string;
  /** The per-user message budget `send` takes from (the table of pg/rate-limit.ts); absent: none. */
  readonly rate?: MessageRate;
}

/** The relay store on PostgreSQL, told what the LISTEN connection hears. */
export interface PgRelayStore extends RelayStore {
  /** A message `seq` exists (its NOTIFY came): the next send here seals for the seq after it. */
  heard(conversationId: string, seq: number): void;
}

export function createPgRelayStore(pool: pg.Pool, keyring: Keyring, options: PgRelayStoreOptions): PgRelayStore {
  const { url, instance } = options;
  const keyOf = (id: string, wrapped: Buffer): Buffer => keyring.dataKey(id, wrapped);

  // One transaction per write, and every query, through the stores' common plumbing: a lost
  // server becomes FMC_ERR_DB_UNAVAILABLE (the relay answers "retry").
  const sql = sqlOn(pool, url);
  const tx = sql.tx;
  const query = async <R extends pg.QueryResultRow>(text: string | pg.QueryConfig, values?: unknown[]): Promise<R[]> => (await sql.query<R>(text, values)).rows;

  // The text is sealed for a seq and the triage is merged from a ciphertext before the one
  // round trip that stores them: both come from here, and the database says 'retry' (with the
  // truth) when another writer got there first. A stale entry costs a round trip, never a gap.
  const seen = new Map<string, Seen>();
  let labelled = 0;

  // This instance's writes to one conversation go one at a time: each starts from what the
  // one before learnt (its seq, its triage), so only another instance's write makes a guess
  // stale. Without it, sends queued together would all guess the same seq and all but one
  // retry. Conversations still go in parallel. Only an optimisation (the database checks
  // every guess): a write waits at most TURN_WAIT_MS for the one before, so a database that
  // stops answering does not stack the waits of a conversation's queued sends.
  const turns = new Map<string, Promise<unknown>>();
  function inTurn<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    const before = turns.get(conversationId);
    const mine = (before ? waitAtMost(before, TURN_WAIT_MS) : Promise.resolve()).then(work);
    const settled = mine.catch(() => undefined);
    turns.set(conversationId, settled);
    void settled.then(() => {
      if (turns.get(conversationId) === settled) turns.delete(conversationId);
    });
    return mine;
  }

  function saw(id: string, wrapped: Buffer, next: number, exact: boolean, triage?: Buffer | null): Seen {
    let entry = seen.get(id);
    if (!entry) {
      if (seen.size >= SEEN_MAX) seen.delete(seen.keys().next().value!);
      seen.set(id, (entry = { wrapped, next }));
    }
    // A plain read may be older than what this instance just wrote: it only moves `next` up.
    entry.next = exact ? next : Math.max(entry.next, next);
    if (triage !== undefined && (exact || entry.triage === undefined)) entry.triage = triage;
    return entry;
  }

  function triageOf(id: string, key: Buffer, sealed: Buffer | null): Triage {
    if (sealed === null) return { urgency: null, claim: false, topics: [] };
    return openJson(key, sealed, aad.triage(id)) as Triage;
  }

  function toSummary(row: ConversationRow): ConversationSummary {
    saw(row.id, row.wrapped_key, row.last_seq + 1, false, row.triage);
    const triage = triageOf(row.id, keyOf(row.id, row.wrapped_key), row.triage);
    return {
      id: row.id,
      customer: { id: Number(row.customer_id), username: row.customer_name },
      status: stateOf(row),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      lastSeq: row.last_seq,
      version: Number(row.version),
      urgency: triage.urgency,
      claim: triage.claim,
      topics: sortTopics(triage.topics ?? []),
      assignee:
        row.assignee_id === null || row.assignee_name === null
          ? null
          : { id: Number(row.assignee_id), username: row.assignee_name, ...(row.assignee_display !== null && { displayName: row.assignee_display }) },
      waitingSince: row.waiting_since === null ? null : iso(row.waiting_since),
    };
  }

  function toMessage(row: MessageRow, key: Buffer): ChatMessage {
    let message: ChatMessage = {
      conversationId: row.conversation_id,
      seq: row.seq,
      id: Number(row.id),
      sender: { id: Number(row.sender_id), username: row.sender_name, role: row.sender_role, ...(row.sender_display !== null && { displayName: row.sender_display }) },
      text: open(key, row.body, aad.text(row.conversation_id, row.seq)).toString('utf8'),
      createdAt: iso(row.created_at),
    };
    const attachment = joinedAttachment(row, row.conversation_id, key);
    if (attachment) message = { ...message, attachment };
    if (row.labels === null) return message;
    const stored = openJson(key, row.labels, aad.labels(row.conversation_id, row.seq));
    const labels = toScoredLabels(stored);
    const provider = (stored as { provider?: unknown }).provider;
    return labels ? { ...message, labels: { ...labels, provider: typeof provider === 'string' ? provider : 'unknown' } } : message;
  }

  const notify = (client: pg.PoolClient, payload: string): Promise<unknown> => client.query('SELECT pg_notify($1, $2)', [RELAY_CHANNEL, payload]);

  /** The triage recomputed from every labeled message (a correction may lower it). */
  async function retriage(client: pg.PoolClient, conversationId: string, key: Buffer): Promise<Triage> {
    const triage: Triage = { urgency: null, claim: false, topics: [] };
    const topics = new Set<string>();
    const rows = await client.query<{ seq: number; labels: Buffer }>('SELECT seq, labels FROM messages WHERE conversation_id = $1 AND labels IS NOT NULL', [conversationId]);
    for (const r of rows.rows) {
      const l = openJson(key, r.labels, aad.labels(conversationId, r.seq)) as LabelResult;
      if (rank(l.urgency) > rank(triage.urgency)) triage.urgency = l.urgency;
      triage.claim ||= l.is_claim;
      topics.add(l.topic);
    }
    triage.topics = [...topics];
    return triage;
  }

  function messagesOf(conversationId: string, rows: Joined[], asked: number): ChatMessage[] {
    if (rows.length === 0) return [];
    const key = keyOf(conversationId, rows[0]!.wrapped_key);
    // Read after a notice, the triage is at least as new as the labels it announced: the next
    // labelling here merges into it, unless this instance labelled since the read was asked
    // (a staler one only costs a 'retry').
    const entry = saw(conversationId, rows[0]!.wrapped_key, rows.at(-1)!.seq + 1, false);
    if ((entry.labelled ?? 0) <= asked) entry.triage = rows[0]!.triage;
    return rows.map((r) => toMessage(r, key));
  }

  interface Read {
    readonly conversationId: string;
    readonly afterSeq: number;
    readonly limit: number;
  }

  // `seq > n` reads of one turn (the feed's, after notices, and the labels'): one statement.
  const read = perTurn<Read, ChatMessage[]>(async (batch) => {
    const asked = labelled;
    if (batch.length === 1) {
      const [one] = batch as [Read];
      const rows = await query<Joined>(statement.after(one.conversationId, one.afterSeq, one.limit));
      return [settle(() => messagesOf(one.conversationId, rows, asked))];
    }
    const rows = await query<Joined & { n: string }>(statement.afterMany(batch));
    const byRead = batch.map(() => [] as Joined[]);
    for (const row of rows) byRead[Number(row.n) - 1]!.push(row);
    return batch.map((r, i) => settle(() => messagesOf(r.conversationId, byRead[i]!, asked)));
  }, READS_IN_FLIGHT);
  const after = (conversationId: string, afterSeq: number, limit: number): Promise<ChatMessage[]> => read({ conversationId, afterSeq, limit });

  // A conversation's summary (its watchers are told of each message and labelling, on every
  // instance): the reads of one turn in one statement too.
  const summaryOf = perTurn<string, ConversationSummary | undefined>(async (ids) => {
    const rows = await query<ConversationRow>(statement.summaries(ids));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) =>
      settle(() => {
        const row = byId.get(id);
        return row && toSummary(row);
      }),
    );
  });

  // The sends and labellings of one turn (each of another conversation: inTurn) in one
  // statement and one transaction; one alone goes as its own function's statement.
  const write = perTurn<Write, WriteRow>(async (batch) => {
    if (batch.length === 1) {
      const [one] = batch as [Write];
      const [row] = await query<WriteRow>(statement.write(one));
      return [{ value: row! }];
    }
    let rows: WriteManyRow[];
    try {
      rows = await query<WriteManyRow>(statement.writeMany(batch));
    } catch (err) {
      // The database away: each write answers that, and its client sends again.
      if (err instanceof FmcError && err.code === 'FMC_ERR_DB_UNAVAILABLE') throw err;
      // Refused for what one write holds (PostgreSQL checks every argument before it runs
      // any): the batch rolled back whole, so each goes again alone and only the one at
      // fault fails, not the messages of everyone else in that turn.
      const alone: Settled<WriteRow>[] = [];
      for (const one of batch) alone.push(await query<WriteRow>(statement.write(one)).then(([row]) => ({ value: row! }), (error: unknown) => ({ error })));
      return alone;
    }
    const answers: Settled<WriteRow>[] = batch.map(() => ({ error: new Error('relay_write_many gave no answer') }));
    for (const r of rows) {
      answers[r.b_n - 1] = {
        value: { outcome: r.b_outcome as SendRow['outcome'], out_seq: r.b_seq, out_id: r.b_id, out_key: r.b_key, out_tokens: r.b_tokens, out_triage: r.b_triage },
      };
    }
    return answers;
  }, WRITES_IN_FLIGHT);

  async function labelGuessing(conversationId: string, seq: number, labels: LabelResult): Promise<void> {
    // One round trip when this instance saw the conversation's current triage (it usually
    // wrote it): merged here, stored if the database still holds that one, else 'retry'
    // (in the next turn's batch).
    for (let attempt = 0; attempt < GUESSES; attempt++) {
      const guess = seen.get(conversationId);
      const known = guess?.triage !== undefined;
      let sealed: Buffer | null = null;
      let next: Buffer | null = null;
      if (guess && known) {
        const key = keyOf(conversationId, guess.wrapped);
        sealed = sealJson(key, labels, aad.labels(conversationId, seq));
        next = resealed(conversationId, key, guess.triage!, labels);
      }
      const row = await write({ kind: 'l', conversationId, seq, labels: sealed, known, expected: guess?.triage ?? null, triage: next, now: Date.now(), notice: notice.labels(instance, conversationId, seq) });
      if (row.outcome === 'missing') return;
      if (row.outcome === 'stored') {
        guess!.triage = next;
        guess!.labelled = ++labelled;
        return;
      }
      const entry = saw(conversationId, row.out_key!, 1, false);
      entry.triage = row.out_triage;
    }
    // Stale GUESSES times in a row (others keep labelling it): under the row lock.
    await setLabelsLocked(conversationId, seq, labels);
  }

  /** Labels under the row lock: the triage read and rewritten in one transaction of several statements. */
  async function setLabelsLocked(conversationId: string, seq: number, labels: LabelResult): Promise<void> {
    await tx(async (client) => {
      const head = await client.query<{ triage: Buffer | null; wrapped_key: Buffer }>('SELECT triage, wrapped_key FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const row = head.rows[0];
      if (!row) return;
      const key = keyOf(conversationId, row.wrapped_key);
      await client.query('UPDATE messages SET labels = $1 WHERE conversation_id = $2 AND seq = $3', [sealJson(key, labels, aad.labels(conversationId, seq)), conversationId, seq]);
      const next = resealed(conversationId, key, row.triage, labels);
      await client.query('UPDATE conversations SET triage = $1, updated_at = $2 WHERE id = $3', [next, Date.now(), conversationId]);
      await notify(client, notice.labels(instance, conversationId, seq));
      const entry = saw(conversationId, row.wrapped_key, 1, false);
      entry.triage = next;
      entry.labelled = ++labelled;
    });
  }

  /**
   * The conversation's triage ciphertext once `labels` are folded in: the same bytes when they
   * change nothing (most messages of a conversation repeat its urgency and topic). Sealed anew,
   * even an unchanged triage would make every other instance's copy stale, and their next
   * labelling of it a 'retry' round trip.
   */
  function resealed(conversationId: string, key: Buffer, sealed: Buffer | null, labels: LabelResult): Buffer {
    const triage = triageOf(conversationId, key, sealed);
    const next = merged(triage, labels);
    const same = sealed !== null && next.urgency === triage.urgency && next.claim === triage.claim && next.topics!.length === (triage.topics ?? []).length;
    return same ? sealed : sealJson(key, next, aad.triage(conversationId));
  }

  /** The triage with one message's labels folded in (it only rises; a correction recomputes it). */
  function merged(triage: Triage, labels: LabelResult): Triage {
    return {
      urgency: rank(labels.urgency) > rank(triage.urgency) ? labels.urgency : triage.urgency,
      claim: triage.claim || labels.is_claim,
      topics: [...new Set([...(triage.topics ?? []), labels.topic])],
    };
  }

  /**
   * One message through relay_send_any: sealed for the seq this instance expects, sent again
   * (sealed anew) when the database answers that another message took it; after GUESSES
   * stale guesses, under the row lock.
   */
  function sendRow(input: SendInput, rate: MessageRate | undefined): Promise<{ row: SendRow; now: number }> {
    return inTurn(input.conversationId, () => sendGuessing(input, rate));
  }

  async function sendGuessing(input: SendInput, rate: MessageRate | undefined): Promise<{ row: SendRow; now: number }> {
    const { conversationId, sender, staff, clientId, text } = input;
    const plain = Buffer.from(text, 'utf8');
    const writeFor = (guess: Seen | undefined, exact = false): SendWrite => {
      const now = Date.now();
      let bodies: Buffer[] | null = null;
      if (guess) {
        const key = keyOf(conversationId, guess.wrapped);
        const count = !exact && plain.length <= CANDIDATE_BYTES && guess.stale !== undefined && now - guess.stale < CONTENDED_MS ? CANDIDATES : 1;
        bodies = Array.from({ length: count }, (_, k) => seal(key, plain, aad.text(conversationId, guess.next + k)));
      }
      return {
        kind: 's',
        conversationId,
        sender,
        staff,
        clientId,
        seq: guess?.next ?? null,
        bodies,
        now,
        notice: notice.messagePrefix(instance, conversationId),
        burst: rate?.burst ?? 0,
        perSecond: rate?.perSecond ?? 0,
      };
    };
    // Each attempt in the turn's batch of writes: a retry goes out in the next turn with the
    // seq it learnt.
    for (let attempt = 0; attempt < GUESSES; attempt++) {
      const guess = seen.get(conversationId);
      const w = writeFor(guess);
      const row = await write(w);
      if (row.outcome !== 'retry') {
        if (row.outcome === 'stored') saw(conversationId, guess!.wrapped, row.out_seq! + 1, true);
        return { row, now: w.now };
      }
      saw(conversationId, row.out_key!, row.out_seq!, true).stale = Date.now();
    }
    return tx(async (client) => {
      const head = await client.query<{ last_seq: number; wrapped_key: Buffer }>('SELECT last_seq, wrapped_key FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const locked = head.rows[0] && saw(conversationId, head.rows[0].wrapped_key, head.rows[0].last_seq + 1, true);
      const w = writeFor(locked, true);
      const [row] = (await client.query<SendRow>(statement.write(w))).rows;
      if (row!.outcome === 'stored') saw(conversationId, locked!.wrapped, row!.out_seq! + 1, true);
      return { row: row!, now: w.now };
    });
  }

  const sentMessage = (input: SendInput, row: SendRow, now: number): ChatMessage => ({
    conversationId: input.conversationId,
    seq: row.out_seq!,
    id: Number(row.out_id),
    sender: input.sender,
    text: input.text,
    createdAt: iso(now),
  });

  /** A file's message: the transaction of several statements (a send with a file is rare). */
  async function appendWithAttachment({ conversationId, sender, clientId, text, attachmentId }: AppendInput): Promise<{ message: ChatMessage; duplicate: boolean } | undefined> {
    return tx(async (client) => {
      // The row lock first: a second send of the same clientId through another instance
      // waits here, then finds the first one's message instead of failing on the unique key.
      const head = await client.query<{ status: ConversationStatus; last_seq: number; wrapped_key: Buffer }>('SELECT status, last_seq, wrapped_key FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const conversation = head.rows[0];
      if (!conversation) return undefined;
      const key = keyOf(conversationId, conversation.wrapped_key);
      const earlier = await client.query<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3', [conversationId, sender.id, clientId]);
      if (earlier.rows[0]) return { message: toMessage(earlier.rows[0], key), duplicate: true };
      if (conversation.status !== 'open') return undefined;
      const seq = conversation.last_seq + 1;
      const now = Date.now();
      const body = seal(key, Buffer.from(text, 'utf8'), aad.text(conversationId, seq));
      // A customer's message starts the SLA clock (if not running) and ends a pending wait; a staff answer stops the clock.
      await client.query(
        'UPDATE conversations SET last_seq = $1, updated_at = $2, waiting_since = CASE WHEN $4 THEN coalesce(waiting_since, $2) ELSE NULL END, pending = CASE WHEN $4 THEN false ELSE pending END WHERE id = $3',
        [seq, now, conversationId, sender.role === 'customer'],
      );
      const inserted = await client.query<{ id: string }>(
        'INSERT INTO messages (conversation_id, seq, sender_id, sender_name, sender_role, sender_display, client_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
        [conversationId, seq, sender.id, sender.username, sender.role, sender.displayName ?? null, clientId, body, now],
      );
      // The file goes with its message or not at all: another instance woken by the NOTIFY
      // below reads both together (the throw rolls the message back, using no seq).
      let attachment: AttachmentMeta | undefined;
      if (attachmentId !== undefined) {
        const linked = await client.query<AttachmentRow>(
          'UPDATE attachments SET seq = $1 WHERE id = $2 AND conversation_id = $3 AND uploader_id = $4 AND seq IS NULL RETURNING id, conversation_id, content_type, size, name',
          [seq, attachmentId, conversationId, sender.id],
        );
        if (!linked.rows[0]) throw attachmentTaken(attachmentId);
        attachment = metaOf(linked.rows[0], key);
      }
      await notify(client, notice.message(instance, conversationId, seq));
      const message: ChatMessage = { conversationId, seq, id: Number(inserted.rows[0]!.id), sender, text, createdAt: iso(now), ...(attachment && { attachment }) };
      return { message, duplicate: false };
    });
  }

  return {
    async create(customer) {
      const id = randomUUID();
      const { wrapped } = keyring.newDataKey(id);
      const now = Date.now();
      const [row] = await tx(async (client) => {
        const rows = await client.query<ConversationRow>(
          `INSERT INTO conversations (id, customer_id, customer_name, status, created_at, updated_at, wrapped_key, master_key_id)
           VALUES ($1, $2, $3, 'open', $4, $4, $5, $6) RETURNING *`,
          [id, customer.id, customer.username, now, wrapped, keyring.masterKeyId],
        );
        await notify(client, notice.conversation(instance, id));
        return rows.rows;
      });
      return toSummary(row!);
    },
    async head(id) {
      const [row] = await query<{ customer_id: string; status: ConversationStatus; last_seq: number; wrapped_key: Buffer; triage: Buffer | null }>(
        'SELECT customer_id, status, last_seq, wrapped_key, triage FROM conversations WHERE id = $1',
        [id],
      );
      if (!row) return undefined;
      // A socket that resumes is about to send: its first send and labels need no 'retry'.
      saw(id, row.wrapped_key, row.last_seq + 1, false, row.triage);
      return { customerId: Number(row.customer_id), status: row.status, lastSeq: row.last_seq };
    },
    summary: (id) => summaryOf(id),
    async list({ customerId, closedLimit }) {
      // Every open conversation (an old urgent one must not fall off the agents' list), then
      // the most recent closed ones up to the limit.
      const rows =
        customerId === undefined
          ? await query<ConversationRow>(
              `SELECT * FROM conversations WHERE status = 'open'
               UNION ALL (SELECT * FROM conversations WHERE status = 'closed' ORDER BY closed_at DESC LIMIT $1)`,
              [closedLimit],
            )
          : await query<ConversationRow>(
              `SELECT * FROM conversations WHERE customer_id = $1 AND status = 'open'
               UNION ALL (SELECT * FROM conversations WHERE customer_id = $1 AND status = 'closed' ORDER BY closed_at DESC LIMIT $2)`,
              [customerId, closedLimit],
            );
      return rows.map(toSummary).sort(byOpenUrgency);
    },
    async close(id) {
      return tx(async (client) => {
        // A close stops the SLA clock: nobody is waiting on a resolved conversation.
        const done = await client.query("UPDATE conversations SET status = 'closed', pending = false, waiting_since = NULL, updated_at = $1 WHERE id = $2 AND status <> 'closed'", [Date.now(), id]);
        if (done.rowCount === 0) return false;
        await notify(client, notice.conversation(instance, id));
        return true;
      });
    },
    async append(input) {
      if (input.attachmentId !== undefined) return appendWithAttachment(input);
      const { row, now } = await sendRow({ ...input, staff: true }, undefined);
      if (row.outcome === 'stored') return { message: sentMessage({ ...input, staff: true }, row, now), duplicate: false };
      if (row.outcome !== 'duplicate') return undefined;
      const [earlier] = await after(input.conversationId, row.out_seq! - 1, 1);
      return earlier && { message: earlier, duplicate: true };
    },
    async send(input): Promise<SendOutcome> {
      const { row, now } = await sendRow(input, options.rate?.perSecond ? options.rate : undefined);
      switch (row.outcome) {
        case 'stored':
          return { kind: 'stored', message: sentMessage(input, row, now) };
        case 'duplicate':
          return { kind: 'duplicate', seq: row.out_seq!, id: Number(row.out_id) };
        case 'limited':
          return { kind: 'limited', waitMs: Math.ceil(((1 - row.out_tokens!) / options.rate!.perSecond) * 1000) };
        case 'missing':
        case 'closed':
          return { kind: row.outcome };
        default:
          throw new Error(`relay_send_any answered ${row.outcome}`);
      }
    },
    async all({ customerId }) {
      const rows =
        customerId === undefined
          ? await query<ConversationRow>('SELECT * FROM conversations ORDER BY updated_at DESC', [])
          : await query<ConversationRow>('SELECT * FROM conversations WHERE customer_id = $1 ORDER BY updated_at DESC', [customerId]);
      return rows.map(toSummary);
    },
    async setState(id, state) {
      if (state === 'closed') return this.close(id);
      const sql =
        state === 'pending'
          ? "UPDATE conversations SET status = 'open', pending = true, updated_at = $1 WHERE id = $2 AND (status = 'closed' OR NOT pending)"
          : "UPDATE conversations SET status = 'open', pending = false, updated_at = $1 WHERE id = $2 AND (status = 'closed' OR pending)";
      return tx(async (client) => {
        const done = await client.query(sql, [Date.now(), id]);
        if (done.rowCount === 0) return false;
        await notify(client, notice.conversation(instance, id));
        return true;
      });
    },
    async assign(id, assignee) {
      return tx(async (client) => {
        const done = await client.query('UPDATE conversations SET assignee_id = $1, assignee_name = $2, assignee_display = $3, updated_at = $4 WHERE id = $5', [
          assignee?.id ?? null,
          assignee?.username ?? null,
          assignee?.displayName ?? null,
          Date.now(),
          id,
        ]);
        if (done.rowCount === 0) return false;
        await notify(client, notice.conversation(instance, id));
        return true;
      });
    },
    async markRead(userId, conversationId, seq) {
      await query(
        'INSERT INTO conversation_reads (user_id, conversation_id, last_read_seq) VALUES ($1, $2, $3) ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_read_seq = GREATEST(conversation_reads.last_read_seq, excluded.last_read_seq)',
        [userId, conversationId, seq],
      );
    },
    async reads(userId) {
      const rows = await query<{ conversation_id: string; last_read_seq: number }>('SELECT conversation_id, last_read_seq FROM conversation_reads WHERE user_id = $1', [userId]);
      return new Map(rows.map((r) => [r.conversation_id, r.last_read_seq]));
    },
    async existing(conversationId, senderId, clientId) {
      const [row] = await query<{ seq: number; id: string }>('SELECT seq, id FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3', [conversationId, senderId, clientId]);
      return row && { seq: row.seq, id: Number(row.id) };
    },
    async messageTimes(since) {
      const rows = await query<{ conversation_id: string; sender_role: string; created_at: string }>(
        'SELECT conversation_id, sender_role, created_at FROM messages WHERE created_at >= $1',
        [since],
      );
      return rows.map((m) => ({ conversationId: m.conversation_id, staff: m.sender_role !== 'customer', at: Number(m.created_at) }));
    },
    after,
    heard(conversationId, seq) {
      const entry = seen.get(conversationId);
      if (entry && seq >= entry.next) entry.next = seq + 1;
    },
    setLabels: (conversationId, seq, labels) => inTurn(conversationId, () => labelGuessing(conversationId, seq, labels)),
    async correctChat(input, labels) {
      const { conversationId, seq } = input;
      return tx(async (client): Promise<Correction> => {
        const head = await client.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
        const key = keyOf(conversationId, head.rows[0]!.wrapped_key);
        await client.query('UPDATE messages SET labels = $1 WHERE conversation_id = $2 AND seq = $3', [sealJson(key, labels, aad.labels(conversationId, seq)), conversationId, seq]);
        const triage = await retriage(client, conversationId, key);
        await client.query('UPDATE conversations SET triage = $1, updated_at = $2 WHERE id = $3', [sealJson(key, triage, aad.triage(conversationId)), Date.now(), conversationId]);
        const now = Date.now();
        const original = input.original && { ...labelsOf(input.original), confidence: input.original.confidence };
        const sealed = sealJson(key, { corrected: labelsOf(input.corrected), original }, aad.correction(conversationId, seq));
        const inserted = await client.query<{ id: string }>(
          'INSERT INTO corrections (created_at, user_id, username, conversation_id, seq, text, labels, provider, version) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8) RETURNING id',
          [now, input.user.id, input.user.username, conversationId, seq, sealed, input.original?.provider ?? null, input.version],
        );
        await notify(client, notice.labels(instance, conversationId, seq));
        return {
          id: Number(inserted.rows[0]!.id),
          createdAt: iso(now),
          correctedBy: input.user.username,
          source: 'chat',
          conversationId,
          seq,
          text: input.text,
          labels: labelsOf(input.corrected),
          original,
          provider: input.original?.provider ?? null,
          version: input.version,
        };
      });
    },
  };
}
