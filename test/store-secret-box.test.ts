import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyId, openSecret, SecretBoxError, sealSecret } from '../src/store/secret-box.ts';

const key = randomBytes(32);
const otherKey = randomBytes(32);
const secret = ['ptlc', '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'].join('_');
const aad = '["guild-1","binding-1"]';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretBoxError) return error.reason;
    throw error;
  }
  throw new Error('expected a SecretBoxError');
}

function flipFirstByte(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('secret-box', () => {
  it('round-trips, with a fresh IV and ciphertext on every seal', () => {
    const a = sealSecret(key, secret, aad);
    const b = sealSecret(key, secret, aad);
    expect(openSecret(key, a, aad)).toBe(secret);
    expect(openSecret(key, b, aad)).toBe(secret);
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(a.alg).toBe('A256GCM');
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(JSON.stringify(a)).not.toContain(secret);
  });

  it('round-trips unicode and the empty string', () => {
    for (const text of ['', 'ключ-🔑', 'a'.repeat(10_000)]) {
      expect(openSecret(key, sealSecret(key, text, aad), aad)).toBe(text);
    }
  });

  it('reports a different key as wrong_key', () => {
    expect(reason(() => openSecret(otherKey, sealSecret(key, secret, aad), aad))).toBe('wrong_key');
  });

  it.each([
    ['ciphertext', (s: ReturnType<typeof sealSecret>) => ({ ...s, data: flipFirstByte(s.data) })],
    ['tag', (s: ReturnType<typeof sealSecret>) => ({ ...s, tag: flipFirstByte(s.tag) })],
    ['iv', (s: ReturnType<typeof sealSecret>) => ({ ...s, iv: flipFirstByte(s.iv) })],
  ])('reports an altered %s as tampered', (_field, alter) => {
    expect(reason(() => openSecret(key, alter(sealSecret(key, secret, aad)), aad))).toBe('tampered');
  });

  it('refuses a ciphertext opened under different associated data (moved to another record)', () => {
    const sealed = sealSecret(key, secret, aad);
    expect(reason(() => openSecret(key, sealed, '["guild-1","binding-2"]'))).toBe('tampered');
    expect(reason(() => openSecret(key, sealed, '["guild-2","binding-1"]'))).toBe('tampered');
  });

  it.each([
    ['null', null],
    ['a string', 'abc'],
    ['another algorithm', { alg: 'A128GCM', iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', data: '' }],
    ['a short iv', { alg: 'A256GCM', iv: 'AAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', data: '' }],
    ['a missing tag', { alg: 'A256GCM', iv: 'AAAAAAAAAAAAAAAA', data: '' }],
    ['non-base64 data', { alg: 'A256GCM', iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', data: '!!' }],
  ])('reports %s as malformed', (_label, sealed) => {
    expect(reason(() => openSecret(key, sealed, aad))).toBe('malformed');
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => sealSecret(randomBytes(16), secret, aad)).toThrow(TypeError);
    expect(() => openSecret(randomBytes(31), sealSecret(key, secret, aad), aad)).toThrow(TypeError);
  });

  it('gives a stable key fingerprint that differs between keys and does not contain the key', () => {
    expect(keyId(key)).toBe(keyId(Buffer.from(key)));
    expect(keyId(key)).not.toBe(keyId(otherKey));
    expect(keyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(key.toString('hex')).not.toContain(keyId(key));
  });
});
