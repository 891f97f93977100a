// Corrections in the data DB (migration m005_corrections). A chat correction's labels are
// sealed under its conversation's data key, like the message's own labels; its text is the
// message's, decrypted on the way out. A batch row's text and labels are stored as given.

import type { Database } from 'better-sqlite3';
import { toScoredLabels, type Labels, type LabelResult, type ScoredLabels } from '../labels.js';
import type { Keyring } from '../server/relay/keyring.js';
import { aad, open, openJson, sealJson } from '../server/relay/seal.js';
import { labelsOf } from './labels.js';

export interface Corrector {
  readonly id: number;
  readonly username: string;
}

export interface Correction {
  readonly id: number;
  readonly createdAt: string;
  readonly correctedBy: string;
  readonly source: 'chat' | 'batch';
  readonly conversationId?: string;
  readonly seq?: number;
  readonly text: string;
  /** The five labels after the correction. */
  readonly labels: Labels;
  /** What fmc had said (null when the message had no labels to correct). */
  readonly original: ScoredLabels | null;
  /** The tier that produced `original`, and the version of the chain that served it. */
  readonly provider: string | null;
  readonly version: string | null;
}

export interface CorrectionInput {
  readonly user: Corrector;
  readonly original: LabelResult | null;
  readonly corrected: Labels;
  readonly version: string | null;
}

export interface CorrectionStore {
  /** Stores a chat message's correction; `alsoInTransaction` (the relabel) commits or fails with it. */
  recordChat(input: CorrectionInput & { conversationId: string; seq: number; text: string }, alsoInTransaction?: () => void): Correction;
  recordBatch(input: CorrectionInput & { text: string }): Correction;
  /** Every correction, oldest first, chat texts and labels decrypted. */
  list(): Correction[];
  count(): { chat: number; batch: number };
}

interface Row {
  id: number;
  created_at: number;
  username: string;
  conversation_id: string | null;
  seq: number | null;
  text: string | null;
  labels: Buffer | string;
  provider: string | null;
  version: string | null;
  body: Buffer | null;
  wrapped_key: Buffer | null;
}

interface Stored {
  corrected: Labels;
  original: ScoredLabels | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `keyring` is asked for only when a chat correction is sealed or opened, so `fmc corrections`
 * over a data dir without chat corrections never creates or needs a master key.
 */
export function createCorrectionStore(db: Database, keyring: () => Keyring): CorrectionStore {
  const insert = db.prepare('INSERT INTO corrections (created_at, user_id, username, conversation_id, seq, text, labels, provider, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const wrappedKey = db.prepare('SELECT wrapped_key FROM conversations WHERE id = ?').pluck();
  const selectAll = db.prepare(`SELECT c.*, m.body, k.wrapped_key FROM corrections c
    LEFT JOIN messages m ON m.conversation_id = c.conversation_id AND m.seq = c.seq
    LEFT JOIN conversations k ON k.id = c.conversation_id
    ORDER BY c.id`);
  const counts = db.prepare('SELECT sum(conversation_id IS NOT NULL) AS chat, sum(conversation_id IS NULL) AS batch FROM corrections');

  const stored = (input: CorrectionInput): Stored => ({
    corrected: labelsOf(input.corrected),
    original: input.original && { ...labelsOf(input.original), confidence: input.original.confidence },
  });

  const toCorrection = (id: number, now: number, input: CorrectionInput, where: { conversationId?: string; seq?: number; text: string }): Correction => ({
    id,
    createdAt: iso(now),
    correctedBy: input.user.username,
    source: where.conversationId === undefined ? 'batch' : 'chat',
    ...where,
    labels: labelsOf(input.corrected),
    original: stored(input).original,
    provider: input.original?.provider ?? null,
    version: input.version,
  });

  const recordChat = db.transaction((input: CorrectionInput & { conversationId: string; seq: number; text: string }, also?: () => void) => {
    also?.();
    const { conversationId, seq } = input;
    const key = keyring().dataKey(conversationId, wrappedKey.get(conversationId) as Buffer);
    const now = Date.now();
    const sealed = sealJson(key, stored(input), aad.correction(conversationId, seq));
    const info = insert.run(now, input.user.id, input.user.username, conversationId, seq, null, sealed, input.original?.provider ?? null, input.version);
    return toCorrection(Number(info.lastInsertRowid), now, input, { conversationId, seq, text: input.text });
  });

  function fromRow(row: Row): Correction {
    let text: string;
    let payload: Stored;
    if (row.conversation_id !== null && row.seq !== null) {
      const key = keyring().dataKey(row.conversation_id, row.wrapped_key!);
      payload = openJson(key, row.labels as Buffer, aad.correction(row.conversation_id, row.seq)) as Stored;
      text = open(key, row.body!, aad.text(row.conversation_id, row.seq)).toString('utf8');
    } else {
      payload = JSON.parse(String(row.labels)) as Stored;
      text = row.text!;
    }
    return {
      id: row.id,
      createdAt: iso(row.created_at),
      correctedBy: row.username,
      source: row.conversation_id === null ? 'batch' : 'chat',
      ...(row.conversation_id !== null && { conversationId: row.conversation_id, seq: row.seq! }),
      text,
      labels: payload.corrected,
      original: payload.original && (toScoredLabels(payload.original) ?? null),
      provider: row.provider,
      version: row.version,
    };
  }

  return {
    recordChat: (input, also) => recordChat(input, also),
    recordBatch(input) {
      const now = Date.now();
      const info = insert.run(now, input.user.id, input.user.username, null, null, input.text, JSON.stringify(stored(input)), input.original?.provider ?? null, input.version);
      return toCorrection(Number(info.lastInsertRowid), now, input, { text: input.text });
    },
    list: () => (selectAll.all() as Row[]).map(fromRow),
    count() {
      const row = counts.get() as { chat: number | null; batch: number | null };
      return { chat: row.chat ?? 0, batch: row.batch ?? 0 };
    },
  };
}
