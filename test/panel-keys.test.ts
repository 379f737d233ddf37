import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyIdentity, looksLikeApplicationKey, looksLikeClientKey } from '../src/panel/index.ts';

const body43 = 'AbCdEfGhIjK0123456789abcdefghijklmnopqrstuv'; // 43 characters after the 5-character prefix

describe('key format', () => {
  it('the fixture has the real length', () => {
    expect(`ptlc_${body43}`).toHaveLength(48);
  });

  it.each([
    [`ptlc_${body43}`, true, false],
    [`pacc_${body43}`, true, false],
    [`  ptlc_${body43}\n`, true, false],
    [`ptlc_${body43.slice(0, 42)}_`, true, false],
    [`ptlc_${body43}x`, false, false],
    [`ptlc_${body43.slice(1)}`, false, false],
    [`ptlc_${body43.slice(1)}-`, false, false],
    [`ptlc_${body43.slice(1)} `.padEnd(48, ' '), false, false],
    [`PTLC_${body43}`, false, false],
    [`ptla_${body43}`, false, true],
    [`papp_${body43}`, false, true],
    ['ptla_short', false, true],
    [body43.padEnd(48, 'x'), false, false],
    ['', false, false],
  ])('%j → client %s, application %s', (key, client, application) => {
    expect(looksLikeClientKey(key)).toBe(client);
    expect(looksLikeApplicationKey(key)).toBe(application);
  });
});

describe('apiKeyIdentity', () => {
  it('is the first 12 hex characters of sha256(key): stable, short and not the key', () => {
    const key = `ptlc_${body43}`;
    const id = apiKeyIdentity(key);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(id).toBe(createHash('sha256').update(key).digest('hex').slice(0, 12));
    expect(apiKeyIdentity(key)).toBe(id);
    expect(apiKeyIdentity(`pacc_${body43}`)).not.toBe(id);
    expect(key).not.toContain(id);
  });
});
