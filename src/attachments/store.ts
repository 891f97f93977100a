import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { User } from '../store/users.js';
import { FmcError } from '../errors.js';
import type { Keyring } from '../server/relay/keyring.js';
import { open, seal } from '../server/relay/seal.js';

/** What a message shows of its attachment (the file itself is fetched on demand). */
export interface AttachmentMeta {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
}

export interface AttachmentFile extends AttachmentMeta {
  readonly conversationId: string;
  readonly body: Buffer;
}

/** The relay's side: a message may name an attachment its sender uploaded to that conversation. */
export interface AttachmentLinks {
  /** Throws FMC_ERR_ATTACHMENT unless `senderId` uploaded it to this conversation and no message shows it yet. */
  check(conversationId: string, senderId: number, attachmentId: string): void;
  link(conversationId: string, attachmentId: string, seq: number): void;
  /** The attachments of messages `fromSeq`..`toSeq`, by seq. */
  describe(conversationId: string, fromSeq: number, toSeq: number): Map<number, AttachmentMeta>;
}

/** Messages with the files they show (the relay store keeps messages; attachments live apart). */
export function showAttachments<M extends { readonly seq: number; readonly attachment?: AttachmentMeta }>(links: AttachmentLinks, conversationId: string, messages: M[]): M[] {
  if (messages.length === 0) return messages;
  const found = links.describe(conversationId, messages[0]!.seq, messages.at(-1)!.seq);
  return found.size === 0 ? messages : messages.map((m) => (found.has(m.seq) ? { ...m, attachment: found.get(m.seq)! } : m));
}

export interface AttachmentStore extends AttachmentLinks {
  /** Seals and stores a checked file; FMC_ERR_NOT_FOUND / FMC_ERR_CONVERSATION_CLOSED when `user` may not add to it. */
  put(user: User, conversationId: string, file: { name: string; contentType: string; body: Buffer }): AttachmentMeta;
  /** The file, opened, when `user` may see its conversation; FMC_ERR_NOT_FOUND otherwise (also for someone else's). */
  get(user: User, id: string): AttachmentFile;
}

// Where each ciphertext lives (see relay/seal.ts): a row moved to another id or conversation fails to open.
const aad = {
  body: (conversationId: string, id: string): string => `fmc/attachment/v1/${conversationId}/${id}`,
  name: (conversationId: string, id: string): string => `fmc/attachment-name/v1/${conversationId}/${id}`,
};

const ID = /^[A-Za-z0-9_-]{22}$/;
const isStaff = (user: User): boolean => user.role === 'agent' || user.role === 'admin';

interface Row {
  id: string;
  conversation_id: string;
  uploader_id: number;
  content_type: string;
  size: number;
  name: Buffer;
  body: Buffer;
  seq: number | null;
}

/** Attachments in the data DB, sealed under their conversation's data key like its messages. */
export function createAttachmentStore(db: Database, keyring: () => Keyring): AttachmentStore {
  const head = db.prepare('SELECT customer_id, status, wrapped_key FROM conversations WHERE id = ?');
  const insert = db.prepare('INSERT INTO attachments (id, conversation_id, uploader_id, content_type, size, name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const select = db.prepare('SELECT * FROM attachments WHERE id = ?');
  const selectMeta = db.prepare('SELECT id, conversation_id, uploader_id, content_type, size, name, seq FROM attachments WHERE id = ?');
  const setSeq = db.prepare('UPDATE attachments SET seq = ? WHERE id = ? AND conversation_id = ? AND seq IS NULL');
  const range = db.prepare('SELECT id, conversation_id, content_type, size, name, seq FROM attachments WHERE conversation_id = ? AND seq BETWEEN ? AND ?');

  const keyOf = (conversationId: string, wrapped: Buffer): Buffer => keyring().dataKey(conversationId, wrapped);

  function visible(user: User, conversationId: string): { status: string; wrapped_key: Buffer } {
    const row = head.get(conversationId) as { customer_id: number; status: string; wrapped_key: Buffer } | undefined;
    if (!row || (!isStaff(user) && row.customer_id !== user.id)) throw new FmcError('FMC_ERR_NOT_FOUND', `no conversation ${conversationId} that ${user.username} may see`);
    return row;
  }

  const meta = (r: Pick<Row, 'id' | 'conversation_id' | 'content_type' | 'size' | 'name'>, key: Buffer): AttachmentMeta => ({
    id: r.id,
    name: open(key, r.name, aad.name(r.conversation_id, r.id)).toString('utf8'),
    contentType: r.content_type,
    size: r.size,
  });

  return {
    put(user, conversationId, file) {
      const conversation = visible(user, conversationId);
      if (conversation.status !== 'open') throw new FmcError('FMC_ERR_CONVERSATION_CLOSED', `conversation ${conversationId} is closed; open a new one to send files`);
      const key = keyOf(conversationId, conversation.wrapped_key);
      const id = randomBytes(16).toString('base64url');
      const name = seal(key, Buffer.from(file.name, 'utf8'), aad.name(conversationId, id));
      insert.run(id, conversationId, user.id, file.contentType, file.body.length, name, seal(key, file.body, aad.body(conversationId, id)), Date.now());
      return { id, name: file.name, contentType: file.contentType, size: file.body.length };
    },
    get(user, id) {
      const row = ID.test(id) ? (select.get(id) as Row | undefined) : undefined;
      const missing = new FmcError('FMC_ERR_NOT_FOUND', `no attachment ${id.slice(0, 40)} that ${user.username} may see`);
      if (!row) throw missing;
      let conversation;
      try {
        conversation = visible(user, row.conversation_id);
      } catch {
        throw missing;
      }
      // Before its message is sent, only the uploader sees it.
      if (row.seq === null && row.uploader_id !== user.id) throw missing;
      const key = keyOf(row.conversation_id, conversation.wrapped_key);
      return { ...meta(row, key), conversationId: row.conversation_id, body: open(key, row.body, aad.body(row.conversation_id, row.id)) };
    },
    check(conversationId, senderId, attachmentId) {
      const row = ID.test(attachmentId) ? (selectMeta.get(attachmentId) as Row | undefined) : undefined;
      if (!row || row.conversation_id !== conversationId || row.uploader_id !== senderId) {
        throw new FmcError('FMC_ERR_ATTACHMENT', `attachment ${attachmentId.slice(0, 40)} was not uploaded by you to this conversation; upload it first (POST /api/conversations/${conversationId}/attachments)`);
      }
      if (row.seq !== null) throw new FmcError('FMC_ERR_ATTACHMENT', `attachment ${attachmentId} is already shown by message ${row.seq}; upload the file again to send it twice`);
    },
    link(conversationId, attachmentId, seq) {
      setSeq.run(seq, attachmentId, conversationId);
    },
    describe(conversationId, fromSeq, toSeq) {
      const rows = range.all(conversationId, fromSeq, toSeq) as Row[];
      const found = new Map<number, AttachmentMeta>();
      if (rows.length === 0) return found;
      const { wrapped_key } = head.get(conversationId) as { wrapped_key: Buffer };
      const key = keyOf(conversationId, wrapped_key);
      for (const r of rows) found.set(r.seq!, meta(r, key));
      return found;
    },
  };
}
