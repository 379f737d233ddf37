/**
 * Unreadable records on every backend: wrong ENCRYPTION_KEY, tampered ciphertext, a record moved to another id, a newer
 * schema version, corrupt JSON. Each yields ok:false with a clear error for that binding only, `update` refuses
 * without touching the stored bytes, and `remove` still cleans up.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from '@keyv/redis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, openBackend } from '../src/store/backend.ts';
import { type Binding, openStore, type Store, StoreError } from '../src/store/index.ts';
import { storeBackends } from './store-backends.ts';

const logger = pino({ level: 'silent' });
const { backends, sqliteFile, runId } = storeBackends('store-integrity', path.join('store.sqlite'));

let seq = 0;
function makeBinding(guildId: string, overrides: Partial<Binding> = {}): Binding {
  seq += 1;
  return {
    id: `b${seq}${randomBytes(3).toString('hex')}`,
    guildId,
    name: `Server ${seq}`,
    panelUrl: 'https://panel.example.com',
    serverId: `srv${seq}`,
    serverUuid: `uuid-${seq}-${randomBytes(4).toString('hex')}`,
    apiKey: `ptlc_SECRET${randomBytes(20).toString('hex')}`,
    consoleChannelId: '200000000000000001',
    createdBy: '300000000000000001',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const recordKey = (b: { guildId: string; id: string }) => `b:${b.guildId}:${b.id}`;

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

describe.each(backends)('store integrity on $name', (backend) => {
  const enabled = backend.env === undefined || Boolean(process.env[backend.env]);
  const namespace = `${runId}-${backend.name}`;
  const key = randomBytes(32);
  let store: Store;
  let raw: Backend;
  const open = (encryptionKey = key) => openStore({ url: backend.url(), encryptionKey, logger, namespace });

  /** Adds a binding, rewrites its stored JSON with `edit`, and returns the binding and the rewritten text. */
  async function addThenRewrite(guildId: string, edit: (doc: Record<string, unknown>, text: string) => string) {
    const binding = makeBinding(guildId);
    await store.bindings.add(binding);
    const text = (await raw.get(recordKey(binding))) ?? '';
    const rewritten = edit(JSON.parse(text) as Record<string, unknown>, text);
    await raw.set(recordKey(binding), rewritten);
    return { binding, rewritten };
  }

  /** The unreadable record is listed with `error`, update refuses with `code` and leaves the bytes, remove works. */
  async function expectUnreadable(binding: Binding, rewritten: string, error: RegExp, code: StoreError['code']) {
    const listed = await store.bindings.listByGuild(binding.guildId);
    const record = listed.find((r) => (r.ok ? r.binding.id : r.id) === binding.id);
    expect(record).toMatchObject({ ok: false, id: binding.id, guildId: binding.guildId });
    expect(record?.ok === false && record.error).toMatch(error);
    expect(JSON.stringify(record)).not.toContain(binding.apiKey);
    expect(await store.bindings.get(binding.guildId, binding.id)).toEqual(record);

    const refused = await storeError(store.bindings.update(binding.guildId, binding.id, { name: 'Overwritten' }));
    expect(refused.code).toBe(code);
    expect(await raw.get(recordKey(binding))).toBe(rewritten);

    expect(await store.bindings.remove(binding.guildId, binding.id)).toBe(true);
    expect(await store.bindings.get(binding.guildId, binding.id)).toBeUndefined();
    expect(await raw.get(recordKey(binding))).toBeUndefined();
  }

  describe.skipIf(!enabled)('records', () => {
    beforeAll(async () => {
      store = await open();
      raw = await openBackend({ url: backend.url(), namespace, logger });
    });
    afterAll(async () => {
      if (!raw) return;
      await store?.close();
      for (const k of await raw.keys('')) await raw.delete(k);
      await raw.close();
    });

    it('keeps the plaintext key out of the raw store (sqlite: the file bytes)', async () => {
      const binding = makeBinding('500000000000000001');
      await store.bindings.add(binding);
      expect(await raw.get(recordKey(binding))).not.toContain(binding.apiKey);
      if (backend.name === 'redis') {
        const client = createClient({ url: backend.url() });
        await client.connect();
        try {
          const value = await client.get(`${namespace}::${recordKey(binding)}`);
          expect(value).toContain(binding.name);
          expect(value).not.toContain(binding.apiKey);
          expect(value).not.toContain('SECRET');
        } finally {
          await client.close();
        }
      }
      if (backend.name === 'sqlite') {
        const bytes = await readFile(sqliteFile());
        expect(bytes.includes(Buffer.from(binding.name))).toBe(true); // the record is in this file…
        expect(bytes.includes(Buffer.from(binding.apiKey))).toBe(false); // …but its key is not
        expect(bytes.includes(Buffer.from('SECRET'))).toBe(false);
      }
    });

    it('reports a wrong ENCRYPTION_KEY for that binding while other guilds still load', async () => {
      const oldGuild = makeBinding('510000000000000001', { name: 'Old' });
      await store.bindings.add(oldGuild);
      const otherKey = randomBytes(32);
      const rekeyed = await open(otherKey);
      try {
        const fresh = makeBinding('510000000000000002', { name: 'Fresh' });
        await rekeyed.bindings.add(fresh);
        expect(await rekeyed.bindings.listByGuild(fresh.guildId)).toEqual([{ ok: true, binding: fresh }]);
        const [record] = await rekeyed.bindings.listByGuild(oldGuild.guildId);
        expect(record).toMatchObject({ ok: false, id: oldGuild.id, name: 'Old' });
        expect(record?.ok === false && record.error).toMatch(/different ENCRYPTION_KEY/);
        expect(await rekeyed.bindings.listGuildIds()).toEqual(
          expect.arrayContaining([oldGuild.guildId, fresh.guildId]),
        );

        const before = await raw.get(recordKey(oldGuild));
        const refused = await storeError(rekeyed.bindings.update(oldGuild.guildId, oldGuild.id, { name: 'X' }));
        expect(refused.code).toBe('decrypt_failed');
        expect(refused.userMessage).toMatch(/ENCRYPTION_KEY/);
        expect(await raw.get(recordKey(oldGuild))).toBe(before);

        // The name of an undecryptable binding is still taken.
        const dup = await storeError(rekeyed.bindings.add(makeBinding(oldGuild.guildId, { name: 'old' })));
        expect(dup.code).toBe('duplicate_name');
        // The original key still reads it.
        expect(await store.bindings.get(oldGuild.guildId, oldGuild.id)).toEqual({ ok: true, binding: oldGuild });
        expect(await rekeyed.bindings.remove(oldGuild.guildId, oldGuild.id)).toBe(true);
        expect(await store.bindings.get(oldGuild.guildId, oldGuild.id)).toBeUndefined();
      } finally {
        await rekeyed.close();
      }
    });

    it('reports tampered ciphertext', async () => {
      const guildId = '520000000000000001';
      const neighbour = makeBinding(guildId);
      await store.bindings.add(neighbour);
      const { binding, rewritten } = await addThenRewrite(guildId, (doc) => {
        const apiKey = doc.apiKey as { data: string };
        const bytes = Buffer.from(apiKey.data, 'base64');
        bytes[0] = (bytes[0] ?? 0) ^ 0xff;
        return JSON.stringify({ ...doc, apiKey: { ...apiKey, data: bytes.toString('base64') } });
      });
      expect(await store.bindings.get(guildId, neighbour.id)).toEqual({ ok: true, binding: neighbour });
      await expectUnreadable(binding, rewritten, /altered or copied/, 'decrypt_failed');
      expect(await store.bindings.listByGuild(guildId)).toEqual([{ ok: true, binding: neighbour }]);
    });

    it('refuses a ciphertext moved into another binding', async () => {
      const guildId = '530000000000000001';
      const victim = makeBinding(guildId);
      await store.bindings.add(victim);
      const victimDoc = JSON.parse((await raw.get(recordKey(victim))) ?? '') as Record<string, unknown>;
      const { binding, rewritten } = await addThenRewrite(guildId, (doc) =>
        JSON.stringify({ ...doc, apiKey: victimDoc.apiKey }),
      );
      await expectUnreadable(binding, rewritten, /altered or copied/, 'decrypt_failed');
    });

    it('refuses a whole record copied under another id or guild', async () => {
      const source = makeBinding('540000000000000001');
      await store.bindings.add(source);
      const text = (await raw.get(recordKey(source))) ?? '';
      // Same id, another guild: the record names a different guild than where it is stored.
      const target = { ...source, guildId: '540000000000000002' };
      await raw.set(recordKey(target), text);
      const read = await store.bindings.get(target.guildId, target.id);
      expect(read).toMatchObject({ ok: false, error: expect.stringMatching(/different binding or guild/) });
      // Edited to claim the new guild: the key's associated data no longer matches.
      const doc = JSON.parse(text) as { binding: Record<string, unknown> };
      await raw.set(
        recordKey(target),
        JSON.stringify({ ...doc, binding: { ...doc.binding, guildId: target.guildId } }),
      );
      expect(await store.bindings.get(target.guildId, target.id)).toMatchObject({
        ok: false,
        error: expect.stringMatching(/altered or copied/),
      });
      expect(await store.bindings.remove(target.guildId, target.id)).toBe(true);
      expect(await store.bindings.get(source.guildId, source.id)).toEqual({ ok: true, binding: source });
    });

    it('leaves a record of a newer schema version untouched', async () => {
      const { binding, rewritten } = await addThenRewrite('550000000000000001', (doc) =>
        JSON.stringify({ ...doc, v: 3 }),
      );
      const [record] = await store.bindings.listByGuild(binding.guildId);
      expect(record).toMatchObject({ ok: false, name: binding.name });
      expect(record?.ok === false && record.error).toMatch(/stored by a newer ptero-bridge \(schema v3\)/);
      await expectUnreadable(binding, rewritten, /newer ptero-bridge/, 'corrupt');
    });

    it.each([
      ['not JSON', () => '{"v":1,"binding":', /not valid JSON/],
      ['JSON but not a record', () => '[1,2,3]', /not a record/],
      [
        'without a version',
        (doc: Record<string, unknown>) => JSON.stringify({ ...doc, v: undefined }),
        /no schema version/,
      ],
      [
        'with a missing field',
        (doc: Record<string, unknown>) =>
          JSON.stringify({ ...doc, binding: { ...(doc.binding as object), panelUrl: 5 } }),
        /bad field "panelUrl"/,
      ],
      ['without its key', (doc: Record<string, unknown>) => JSON.stringify({ ...doc, apiKey: undefined }), /malformed/],
    ])('reports a corrupt record (%s) for that binding only', async (_label, edit, error) => {
      const guildId = `56000000000000${String(++seq).padStart(4, '0')}`;
      const healthy = makeBinding(guildId);
      await store.bindings.add(healthy);
      const { binding, rewritten } = await addThenRewrite(guildId, edit);
      const listed = await store.bindings.listByGuild(guildId);
      expect(listed).toContainEqual({ ok: true, binding: healthy });
      await expectUnreadable(binding, rewritten, error, 'corrupt');
    });

    it('recovers the binding list from the records when the guild index is corrupt', async () => {
      const guildId = '570000000000000001';
      const a = makeBinding(guildId);
      const b = makeBinding(guildId);
      await store.bindings.add(a);
      await store.bindings.add(b);
      await raw.set(`g:${guildId}`, 'garbage');
      const listed = await store.bindings.listByGuild(guildId);
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(
        expect.arrayContaining([
          { ok: true, binding: a },
          { ok: true, binding: b },
        ]),
      );
      // A write heals the index.
      await store.bindings.remove(guildId, a.id);
      expect(JSON.parse((await raw.get(`g:${guildId}`)) ?? '')).toEqual({ v: 1, ids: [b.id] });
    });
  });
});
