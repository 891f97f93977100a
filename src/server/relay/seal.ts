import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// One envelope format for everything the relay encrypts (message text, labels, triage, and
// data keys under the master key): version byte | 12-byte IV | 16-byte GCM tag | ciphertext.
// The AAD binds a ciphertext to its place (conversation, seq, kind): a row copied into another
// conversation or slot fails to open instead of showing the wrong text.

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

// IVs are cut from a block of CSPRNG output drawn 512 at a time: the same random 96-bit IVs
// as a randomBytes(12) per message, without a call into the generator for each (it was 3 %
// of a busy relay's CPU). The block is never reused: each IV is handed out once.
const IV_BLOCK = IV_BYTES * 512;
let ivs = Buffer.alloc(0);
let ivAt = 0;
function nextIv(): Buffer {
  if (ivAt + IV_BYTES > ivs.length) {
    ivs = randomBytes(IV_BLOCK);
    ivAt = 0;
  }
  const iv = ivs.subarray(ivAt, ivAt + IV_BYTES);
  ivAt += IV_BYTES;
  return iv;
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
}

/** Throws when the key, the AAD or a single byte is wrong (GCM authentication). */
export function open(key: Buffer, envelope: Buffer, aad: string): Buffer {
  if (envelope.length < 1 + IV_BYTES + TAG_BYTES || envelope[0] !== VERSION) throw new Error('not a v1 envelope');
  const iv = envelope.subarray(1, 1 + IV_BYTES);
  const tag = envelope.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(envelope.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export const sealJson = (key: Buffer, value: unknown, aad: string): Buffer => seal(key, Buffer.from(JSON.stringify(value), 'utf8'), aad);
export const openJson = (key: Buffer, envelope: Buffer, aad: string): unknown => JSON.parse(open(key, envelope, aad).toString('utf8'));

/**
 * A short public name for a master key (a hash, so it reveals nothing usable): stored beside
 * each wrapped data key so "wrong key" is told apart from "corrupt row".
 */
export function keyId(key: Buffer): string {
  return 'sha256:' + createHash('sha256').update('fmc-master-key-id\0').update(key).digest('base64url').slice(0, 16);
}

// Where each kind of ciphertext lives; part of the AAD.
export const aad = {
  dataKey: (conversationId: string): string => `fmc/dek/v1/${conversationId}`,
  text: (conversationId: string, seq: number): string => `fmc/text/v1/${conversationId}/${seq}`,
  labels: (conversationId: string, seq: number): string => `fmc/labels/v1/${conversationId}/${seq}`,
  triage: (conversationId: string): string => `fmc/triage/v1/${conversationId}`,
  correction: (conversationId: string, seq: number): string => `fmc/correction/v1/${conversationId}/${seq}`,
};
