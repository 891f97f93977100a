import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  ATTACHMENT_ID,
  attachmentAad,
  attachmentNotFound,
  attachmentRefusal,
  conversationClosed,
  conversationNotVisible,
  metaOf,
  type AttachmentRow,
  type AttachmentStore,
} from '../../attachments/store.js';
import type { Keyring } from '../../server/relay/keyring.js';
import { open, seal } from '../../server/relay/seal.js';
import { isStaff, type User } from '../users.js';
import { sqlOn } from './sql.js';

// Attachments on PostgreSQL (table attachments, migration 75), sealed under the conversation's
// data key with the keyring every instance shares: a file uploaded through one instance is
// downloaded through any other.

interface Head {
  customer_id: string;
  status: string;
  wrapped_key: Buffer;
}

export function openPgAttachments(pool: pg.Pool, url: string, keyring: Keyring): AttachmentStore {
  const sql = sqlOn(pool, url);
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> => (await sql.query<R>(text, values)).rows;
  // Customers see their own conversations only; someone else's is "not found", as in SQLite.
  const mayAdd = (user: User, head: Head | undefined): head is Head => head !== undefined && (isStaff(user) || Number(head.customer_id) === user.id);

  return {
    async put(user, conversationId, file) {
      const [conversation] = await q<Head>('SELECT customer_id, status, wrapped_key FROM conversations WHERE id = $1', [conversationId]);
      if (!mayAdd(user, conversation)) throw conversationNotVisible(user, conversationId);
      if (conversation.status !== 'open') throw conversationClosed(conversationId);
      const key = keyring.dataKey(conversationId, conversation.wrapped_key);
      const id = randomBytes(16).toString('base64url');
      const name = seal(key, Buffer.from(file.name, 'utf8'), attachmentAad.name(conversationId, id));
      await q('INSERT INTO attachments (id, conversation_id, uploader_id, content_type, size, name, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        id,
        conversationId,
        user.id,
        file.contentType,
        file.body.length,
        name,
        seal(key, file.body, attachmentAad.body(conversationId, id)),
        Date.now(),
      ]);
      return { id, name: file.name, contentType: file.contentType, size: file.body.length };
    },
    async get(user, id) {
      if (!ATTACHMENT_ID.test(id)) throw attachmentNotFound(user, id);
      const [row] = await q<AttachmentRow & Head>(
        'SELECT a.*, c.customer_id, c.status, c.wrapped_key FROM attachments a JOIN conversations c ON c.id = a.conversation_id WHERE a.id = $1',
        [id],
      );
      if (!row || !mayAdd(user, row)) throw attachmentNotFound(user, id);
      // Before its message is sent, only the uploader sees it.
      if (row.seq === null && Number(row.uploader_id) !== user.id) throw attachmentNotFound(user, id);
      const key = keyring.dataKey(row.conversation_id, row.wrapped_key);
      return { ...metaOf(row, key), conversationId: row.conversation_id, body: open(key, row.body, attachmentAad.body(row.conversation_id, row.id)) };
    },
    async check(conversationId, senderId, attachmentId) {
      const [row] = ATTACHMENT_ID.test(attachmentId) ? await q<AttachmentRow>('SELECT conversation_id, uploader_id, seq FROM attachments WHERE id = $1', [attachmentId]) : [];
      const refusal = attachmentRefusal(row, conversationId, senderId, attachmentId);
      if (refusal) throw refusal;
    },
  };
}
