// The corrections seam: one interface, two backends (store/sqlite/corrections.ts, the data
// DB of one machine; store/pg/corrections.ts, shared by every process on the database). A
// chat correction's labels are sealed under its conversation's data key, like the message's
// own labels; its text is the message's, decrypted on the way out. A batch row's text and
// labels are stored as given. Chat corrections are written by the relay's store (with the
// relabel, in one transaction); batch ones through `recordBatch`.

import { toScoredLabels, type Labels, type LabelResult, type ScoredLabels } from '../labels.js';
import { aad, open, openJson } from '../server/relay/seal.js';
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
  /** A batch row's correction (a text, no conversation). */
  recordBatch(input: CorrectionInput & { text: string }): Promise<Correction>;
  /** Every correction, chat and batch, oldest first, chat texts and labels decrypted. */
  list(): Promise<Correction[]>;
  count(): Promise<{ chat: number; batch: number }>;
}

/** What a correction row holds in `labels` (sealed for chat, JSON as is for batch). */
export interface StoredCorrection {
  corrected: Labels;
  original: ScoredLabels | null;
}

/** A row of either backend, joined with its message's body and its conversation's wrapped key. */
export interface CorrectionRow {
  id: number | string;
  created_at: number | string;
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

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

export const storedOf = (input: CorrectionInput): StoredCorrection => ({
  corrected: labelsOf(input.corrected),
  original: input.original && { ...labelsOf(input.original), confidence: input.original.confidence },
});

/** The correction just written, without reading it back. */
export function newCorrection(id: number, now: number, input: CorrectionInput, where: { conversationId?: string; seq?: number; text: string }): Correction {
  return {
    id,
    createdAt: iso(now),
    correctedBy: input.user.username,
    source: where.conversationId === undefined ? 'batch' : 'chat',
    ...where,
    labels: labelsOf(input.corrected),
    original: storedOf(input).original,
    provider: input.original?.provider ?? null,
    version: input.version,
  };
}

/** A stored row as a correction; `dataKey` opens a chat row's conversation key (only asked for chat rows). */
export function correctionOf(row: CorrectionRow, dataKey: (conversationId: string, wrapped: Buffer) => Buffer): Correction {
  let text: string;
  let payload: StoredCorrection;
  if (row.conversation_id !== null && row.seq !== null) {
    const key = dataKey(row.conversation_id, row.wrapped_key!);
    payload = openJson(key, row.labels as Buffer, aad.correction(row.conversation_id, row.seq)) as StoredCorrection;
    text = open(key, row.body!, aad.text(row.conversation_id, row.seq)).toString('utf8');
  } else {
    // SQLite gives the JSON text, PostgreSQL its bytes: String() reads both as UTF-8.
    payload = JSON.parse(String(row.labels)) as StoredCorrection;
    text = row.text!;
  }
  return {
    id: Number(row.id),
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
