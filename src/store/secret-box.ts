/**
 * Authenticated encryption of one secret string (the panel API key) with AES-256-GCM.
 *
 * Pure: no I/O, no logging. Every seal uses a fresh random 96-bit IV. The caller passes associated data (AAD) naming
 * where the ciphertext belongs, so a sealed value copied into another record fails to open. `kid` is a short
 * fingerprint of the key (an HMAC under the key itself, so it reveals nothing about it); it lets `openSecret` tell
 * "this was sealed with a different ENCRYPTION_KEY" apart from "this record was altered".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SECRET_ALG = 'A256GCM';

export interface SealedSecret {
  alg: typeof SECRET_ALG;
  kid: string; // hex key fingerprint
  iv: string; // base64, 12 bytes
  tag: string; // base64, 16 bytes
  data: string; // base64 ciphertext
}

export type SecretBoxFailure = 'wrong_key' | 'tampered' | 'malformed';

export class SecretBoxError extends Error {
  readonly reason: SecretBoxFailure;
  constructor(reason: SecretBoxFailure, message: string) {
    super(message);
    this.name = 'SecretBoxError';
    this.reason = reason;
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new TypeError(`the encryption key must be a ${KEY_BYTES}-byte Buffer`);
  }
}

/** A stable, non-secret fingerprint of the key (first 8 bytes of HMAC-SHA256(key, label), hex). */
export function keyId(key: Buffer): string {
  assertKey(key);
  return createHmac('sha256', key).update('ptero-bridge key id v1').digest().subarray(0, 8).toString('hex');
}

export function sealSecret(key: Buffer, plaintext: string, aad: string): SealedSecret {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    alg: SECRET_ALG,
    kid: keyId(key),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeField(sealed: Record<string, unknown>, field: string, length?: number): Buffer {
  const value = sealed[field];
  if (typeof value !== 'string' || !BASE64.test(value)) {
    throw new SecretBoxError('malformed', `the sealed secret has no valid base64 "${field}" field`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (length !== undefined && bytes.length !== length) {
    throw new SecretBoxError('malformed', `the sealed secret's "${field}" must be ${length} bytes`);
  }
  return bytes;
}

/** Opens a value produced by `sealSecret`. Throws SecretBoxError (never returns garbage). `sealed` is untrusted input. */
export function openSecret(key: Buffer, sealed: unknown, aad: string): string {
  assertKey(key);
  if (typeof sealed !== 'object' || sealed === null) {
    throw new SecretBoxError('malformed', 'the sealed secret is missing');
  }
  const box = sealed as Record<string, unknown>;
  if (box.alg !== SECRET_ALG) {
    throw new SecretBoxError('malformed', `unsupported secret algorithm ${JSON.stringify(box.alg)}`);
  }
  const iv = decodeField(box, 'iv', IV_BYTES);
  const tag = decodeField(box, 'tag', TAG_BYTES);
  const data = decodeField(box, 'data');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    if (typeof box.kid === 'string' && box.kid !== keyId(key)) {
      throw new SecretBoxError('wrong_key', 'the secret was encrypted with a different ENCRYPTION_KEY');
    }
    throw new SecretBoxError('tampered', 'the secret failed its integrity check (the record was altered or moved)');
  }
}
