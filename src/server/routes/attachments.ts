import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import { ATTACHMENT_MAX_BYTES, checkAttachment } from '../../attachments/kinds.js';
import type { AttachmentStore } from '../../attachments/store.js';
import { FmcError } from '../../errors.js';
import { errorSchema } from '../errors.js';
import { idParams } from './conversations.js';

export interface AttachmentRouteOptions {
  readonly attachments: AttachmentStore;
}

const metaSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' } } } as const;

/** RFC 6266 / 5987: an ASCII fallback and the exact UTF-8 name; no quote or header break survives. */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '_') || 'fichier';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `POST /api/conversations/:id/attachments` (multipart, one file, ≤ 10 MB): a member uploads
 * an image or PDF; the answer's `id` goes in the `attachmentId` of a `send` frame.
 * `GET /api/attachments/:id`: the file, to members only, always as a download.
 */
export const attachmentRoutes: FastifyPluginAsync<AttachmentRouteOptions> = async (app, { attachments }) => {
  // Encapsulated: only these routes parse multipart. One file part, a few small fields.
  await app.register(multipart, { limits: { fileSize: ATTACHMENT_MAX_BYTES, files: 1, fields: 4, fieldSize: 1024, parts: 6 } });

  app.post<{ Params: { id: string } }>(
    '/api/conversations/:id/attachments',
    { config: { access: 'user' }, schema: { params: idParams, response: { 201: metaSchema, '4xx': errorSchema } } },
    async (request, reply) => {
      if (!request.isMultipart()) throw new FmcError('FMC_ERR_MEDIA_TYPE', 'send the file as multipart/form-data (one "file" field)');
      const part = await request.file();
      if (!part) throw new FmcError('FMC_ERR_ATTACHMENT', 'no file in the upload; send one "file" field');
      let body: Buffer;
      try {
        body = await part.toBuffer();
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new FmcError('FMC_ERR_ATTACHMENT_TOO_LARGE', `the file is over the ${ATTACHMENT_MAX_BYTES / 1024 / 1024} MB limit; nothing was stored`);
        }
        throw err;
      }
      const { contentType, name } = await checkAttachment(body, part.filename);
      const stored = await attachments.put(request.user!, request.params.id, { name, contentType, body });
      request.log.info({ conversationId: request.params.id, attachment: stored.id, size: stored.size, contentType }, 'attachment stored');
      return reply.code(201).send(stored);
    },
  );

  app.get<{ Params: { id: string } }>('/api/attachments/:id', { config: { access: 'user' }, schema: { params: idParams } }, async (request, reply) => {
    const file = await attachments.get(request.user!, request.params.id);
    // Never rendered in our origin: a download, the checked type, no sniffing, a sandbox if opened anyway.
    return reply
      .type(file.contentType)
      .header('content-disposition', contentDisposition(file.name))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, no-store')
      .send(file.body);
  });
};
