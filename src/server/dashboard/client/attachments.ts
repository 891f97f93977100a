import type { AttachmentMeta } from '../../../attachments/store.js';
import { apiResponse, api } from './api.js';
import { byId, h } from './dom.js';
import { formatNumber, t } from './locale.js';
import type { RelayClient } from './relay-client.js';

// Files in the chat: the 📎 button uploads one (POST …/attachments), then a `send` frame
// names it; the room's copy of that message shows the link. A link downloads through fetch
// with the token (a plain href would carry no credential) and saves under the file's name,
// which is only ever a text node and the `download` attribute.

const size = (bytes: number): string => (bytes < 1024 * 1024 ? `${formatNumber(Math.max(1, Math.round(bytes / 1024)))} KB` : `${formatNumber(Math.round(bytes / 104857.6) / 10)} MB`);

/** The link drawn under a message's text. */
export function attachmentLink(meta: AttachmentMeta): HTMLElement {
  return h(
    'a',
    { class: 'attachment', href: '#', 'data-testid': 'attachment', dataset: { id: meta.id, name: meta.name }, title: t('attach.download', { name: meta.name }) },
    '📎 ',
    h('span', { class: 'attachment-name' }, meta.name),
    ` (${size(meta.size)})`,
  );
}

export function attachFiles(relay: RelayClient, current: () => string | undefined, token: string): void {
  const button = byId<HTMLButtonElement>('attach-button');
  const file = byId<HTMLInputElement>('attach-file');
  const input = byId<HTMLTextAreaElement>('chat-input');
  const notice = byId<HTMLElement>('chat-notice');
  const list = byId<HTMLElement>('messages');

  button.addEventListener('click', () => file.click());
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    const conversationId = current();
    file.value = '';
    if (!chosen || !conversationId) return;
    notice.textContent = t('attach.uploading', { name: chosen.name });
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    try {
      const meta = await api<AttachmentMeta>(`/api/conversations/${encodeURIComponent(conversationId)}/attachments`, { method: 'POST', body: form, token });
      // The typed text, if any, becomes the file's caption; else its name.
      const caption = input.value.trim();
      relay.send(conversationId, caption || meta.name, meta.id);
      if (caption) input.value = '';
      notice.textContent = '';
    } catch (err) {
      notice.textContent = (err as Error).message;
    }
  });

  list.addEventListener('click', async (event) => {
    const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a.attachment');
    if (!link?.dataset.id) return;
    event.preventDefault();
    try {
      const blob = await (await apiResponse(`/api/attachments/${encodeURIComponent(link.dataset.id)}`, { token })).blob();
      const url = URL.createObjectURL(blob);
      const save = h('a', { href: url, download: link.dataset.name ?? 'fichier', hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      notice.textContent = (err as Error).message;
    }
  });
}
