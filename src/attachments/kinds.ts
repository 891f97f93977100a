import { fileTypeFromBuffer } from 'file-type';
import { FmcError } from '../errors.js';

// What may be attached: pictures a browser shows without running anything, and PDF. The type
// is read from the content (magic bytes), never from the name or the client's Content-Type;
// SVG and HTML are out: both can carry script.

export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

const KINDS: Readonly<Record<string, readonly string[]>> = {
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'application/pdf': ['pdf'],
};

export const ALLOWED_TYPES: readonly string[] = Object.keys(KINDS);

/** The file name as shown and sent back: no path, no control characters, at most 200 characters. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const name = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return name === '' || name === '.' || name === '..' ? 'fichier' : name;
}

/**
 * The content's type when it is allowed and the name does not claim another one; throws
 * FMC_ERR_ATTACHMENT_TYPE otherwise. A name without an extension is given the right one.
 */
export async function checkAttachment(body: Buffer, rawName: string): Promise<{ contentType: string; name: string }> {
  const found = await fileTypeFromBuffer(body);
  const kind = found && KINDS[found.mime] ? found.mime : undefined;
  if (!kind) {
    throw new FmcError('FMC_ERR_ATTACHMENT_TYPE', `the file's content is ${found ? found.mime : 'of no recognised type'}; attach a PNG, JPEG, GIF or WebP image, or a PDF`);
  }
  const name = cleanFileName(rawName);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (ext === '') return { contentType: kind, name: `${name}.${KINDS[kind]![0]}` };
  if (!KINDS[kind]!.includes(ext)) {
    throw new FmcError('FMC_ERR_ATTACHMENT_TYPE', `the name says .${ext.slice(0, 10)} but the content is ${kind}; rename the file to .${KINDS[kind]![0]} or attach the right one`);
  }
  return { contentType: kind, name };
}
