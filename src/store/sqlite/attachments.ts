import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
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

/** Attachments in the data DB (migration m007), sealed under their conversation's data key like its messages. */
export function openSqliteAttachments(db: Database, keyring: () => Keyring): AttachmentStore {
  const head = db.prepare('SELECT customer_id, status, wrapped_key FROM conversations WHERE id = ?');
  const insert = db.prepare('INSERT INTO attachments (id, conversation_id, uploader_id, content_type, size, name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const select = db.prepare('SELECT * FROM attachments WHERE id = ?');
  const selectMeta = db.prepare('SELECT id, conversation_id, uploader_id, content_type, size, name, seq FROM attachments WHERE id = ?');

  const keyOf = (conversationId: string, wrapped: Buffer): Buffer => keyring().dataKey(conversationId, wrapped);

  function visible(user: User, conversationId: string): { status: string; wrapped_key: Buffer } {
    const row = head.get(conversationId) as { customer_id: number; status: string; wrapped_key: Buffer } | undefined;
    if (!row || (!isStaff(user) && row.customer_id !== user.id)) throw conversationNotVisible(user, conversationId);
    return row;
  }

  return {
    async put(user, conversationId, file) {
      const conversation = visible(user, conversationId);
      if (conversation.status !== 'open') throw conversationClosed(conversationId);
      const key = keyOf(conversationId, conversation.wrapped_key);
      const id = randomBytes(16).toString('base64url');
      const name = seal(key, Buffer.from(file.name, 'utf8'), attachmentAad.name(conversationId, id));
      insert.run(id, conversationId, user.id, file.contentType, file.body.length, name, seal(key, file.body, attachmentAad.body(conversationId, id)), Date.now());
      return { id, name: file.name, contentType: file.contentType, size: file.body.length };
    },
    async get(user, id) {
      const row = ATTACHMENT_ID.test(id) ? (select.get(id) as AttachmentRow | undefined) : undefined;
      if (!row) throw attachmentNotFound(user, id);
      let conversation;
      try {
        conversation = visible(user, row.conversation_id);
      } catch {
        throw attachmentNotFound(user, id);
      }
      // Before its message is sent, only the uploader sees it.
      if (row.seq === null && row.uploader_id !== user.id) throw attachmentNotFound(user, id);
      const key = keyOf(row.conversation_id, conversation.wrapped_key);
      return { ...metaOf(row, key), conversationId: row.conversation_id, body: open(key, row.body, attachmentAad.body(row.conversation_id, row.id)) };
    },
    async check(conversationId, senderId, attachmentId) {
      const row = ATTACHMENT_ID.test(attachmentId) ? (selectMeta.get(attachmentId) as AttachmentRow | undefined) : undefined;
      const refusal = attachmentRefusal(row, conversationId, senderId, attachmentId);
      if (refusal) throw refusal;
    },
  };
}
