import type { User } from '../store/users.js';
import { FmcError } from '../errors.js';
import { open } from '../server/relay/seal.js';

// The attachments seam: one interface, two backends (store/sqlite/attachments.ts, the data DB
// of one machine; store/pg/attachments.ts, shared by every `fmc serve` on the database). A
// file and its name are sealed under the conversation's data key, like its messages. A
// message shows a file from the moment it is stored: the relay's store links the two in the
// transaction that stores the message (RelayStore.append's `attachmentId`) and reads them
// back with it (`after`), so no instance ever reads the message without its file.

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
  check(conversationId: string, senderId: number, attachmentId: string): Promise<void>;
}

export interface AttachmentStore extends AttachmentLinks {
  /** Seals and stores a checked file; FMC_ERR_NOT_FOUND / FMC_ERR_CONVERSATION_CLOSED when `user` may not add to it. */
  put(user: User, conversationId: string, file: { name: string; contentType: string; body: Buffer }): Promise<AttachmentMeta>;
  /** The file, opened, when `user` may see its conversation; FMC_ERR_NOT_FOUND otherwise (also for someone else's). */
  get(user: User, id: string): Promise<AttachmentFile>;
}

// Where each ciphertext lives (see relay/seal.ts): a row moved to another id or conversation fails to open.
export const attachmentAad = {
  body: (conversationId: string, id: string): string => `fmc/attachment/v1/${conversationId}/${id}`,
  name: (conversationId: string, id: string): string => `fmc/attachment-name/v1/${conversationId}/${id}`,
};

export const ATTACHMENT_ID = /^[A-Za-z0-9_-]{22}$/;

/** A row of either backend (PostgreSQL's bigint arrives as a string). */
export interface AttachmentRow {
  id: string;
  conversation_id: string;
  uploader_id: number | string;
  content_type: string;
  size: number;
  name: Buffer;
  body: Buffer;
  seq: number | null;
}

/**
 * What a message query selects of its file, with
 * `LEFT JOIN attachments a ON a.conversation_id = m.conversation_id AND a.seq = m.seq`.
 */
export const ATTACHMENT_COLUMNS = 'a.id AS attachment_id, a.content_type AS attachment_type, a.size AS attachment_size, a.name AS attachment_name';

export interface JoinedAttachment {
  attachment_id?: string | null;
  attachment_type?: string | null;
  attachment_size?: number | null;
  attachment_name?: Buffer | null;
}

/** The file a joined message row shows, if any. */
export function joinedAttachment(row: JoinedAttachment, conversationId: string, key: Buffer): AttachmentMeta | undefined {
  if (row.attachment_id == null) return undefined;
  return metaOf({ id: row.attachment_id, conversation_id: conversationId, content_type: row.attachment_type!, size: row.attachment_size!, name: row.attachment_name! }, key);
}

export const metaOf = (r: Pick<AttachmentRow, 'id' | 'conversation_id' | 'content_type' | 'size' | 'name'>, key: Buffer): AttachmentMeta => ({
  id: r.id,
  name: open(key, r.name, attachmentAad.name(r.conversation_id, r.id)).toString('utf8'),
  contentType: r.content_type,
  size: r.size,
});

export const conversationNotVisible = (user: User, conversationId: string): FmcError =>
  new FmcError('FMC_ERR_NOT_FOUND', `no conversation ${conversationId} that ${user.username} may see`);
export const attachmentNotFound = (user: User, id: string): FmcError => new FmcError('FMC_ERR_NOT_FOUND', `no attachment ${id.slice(0, 40)} that ${user.username} may see`);
export const conversationClosed = (conversationId: string): FmcError =>
  new FmcError('FMC_ERR_CONVERSATION_CLOSED', `conversation ${conversationId} is closed; open a new one to send files`);

/** Why `senderId` may not send this attachment now, or undefined when it may. */
export function attachmentRefusal(row: Pick<AttachmentRow, 'conversation_id' | 'uploader_id' | 'seq'> | undefined, conversationId: string, senderId: number, attachmentId: string): FmcError | undefined {
  if (!row || row.conversation_id !== conversationId || Number(row.uploader_id) !== senderId) {
    return new FmcError('FMC_ERR_ATTACHMENT', `attachment ${attachmentId.slice(0, 40)} was not uploaded by you to this conversation; upload it first (POST /api/conversations/${conversationId}/attachments)`);
  }
  if (row.seq !== null) return new FmcError('FMC_ERR_ATTACHMENT', `attachment ${attachmentId} is already shown by message ${row.seq}; upload the file again to send it twice`);
  return undefined;
}

/** The error a store's append throws when the file it was to link was taken meanwhile (nothing is stored). */
export const attachmentTaken = (attachmentId: string): FmcError =>
  new FmcError('FMC_ERR_ATTACHMENT', `attachment ${attachmentId.slice(0, 40)} was sent with another message meanwhile; upload the file again to send it twice`);
