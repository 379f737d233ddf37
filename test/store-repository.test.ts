/**
 * The same repository suite against every backend: SQLite (a real file in a temp dir), Redis and PostgreSQL (from
 * TEST_REDIS_URL / TEST_POSTGRES_URL; skipped with a printed reason when absent). Each run uses its own key namespace
 * and removes its keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, openBackend } from '../src/store/backend.ts';
import { type Binding, openStore, type Store, StoreError } from '../src/store/index.ts';
import { storeBackends } from './store-backends.ts';

const logger = pino({ level: 'silent' });
const { backends, runId } = storeBackends('store-repository', path.join('nested', 'folder', 'store.sqlite'));

let seq = 0;
function makeBinding(overrides: Partial<Binding> = {}): Binding {
  seq += 1;
  return {
    id: `bnd${seq}${randomBytes(2).toString('hex')}`,
    guildId: '100000000000000001',
    name: `Server ${seq}`,
    panelUrl: 'https://panel.example.com',
    serverId: `srv${seq}`,
    serverUuid: `uuid-${seq}-${randomBytes(4).toString('hex')}`,
    apiKey: `ptlc_${randomBytes(22).toString('hex')}`,
    consoleChannelId: '200000000000000001',
    createdBy: '300000000000000001',
    createdAt: new Date(0).toISOString(),
    ...overrides,
  };
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

describe.each(backends)('store on $name', (backend) => {
  const enabled = backend.env === undefined || Boolean(process.env[backend.env]);
  const namespace = `${runId}-${backend.name}`;
  const key = randomBytes(32);
  let store: Store;
  let raw: Backend;
  const open = (encryptionKey = key) => openStore({ url: backend.url(), encryptionKey, logger, namespace });

  describe.skipIf(!enabled)('repository', () => {
    beforeAll(async () => {
      store = await open();
      raw = await openBackend({ url: backend.url(), namespace, logger });
    });
    afterAll(async () => {
      if (!raw) return;
      await store?.close();
      for (const k of await raw.keys('')) await raw.delete(k);
      expect(await raw.keys('')).toEqual([]);
      await raw.close();
    });

    it('adds, reads, lists, updates and removes a binding', async () => {
      const guildId = '110000000000000001';
      const binding = makeBinding({ guildId, moderatorRoleId: '400000000000000001' });
      await store.bindings.add(binding);
      expect(await store.bindings.get(guildId, binding.id)).toEqual({ ok: true, binding });
      expect(await store.bindings.listByGuild(guildId)).toEqual([{ ok: true, binding }]);
      expect(await store.bindings.listGuildIds()).toContain(guildId);

      const updated = await store.bindings.update(guildId, binding.id, {
        panelMessage: { channelId: '1', messageId: '2' },
        moderatorRoleId: undefined,
        apiKey: 'ptlc_rotated',
      });
      expect(updated).toEqual({
        ...binding,
        moderatorRoleId: undefined,
        panelMessage: { channelId: '1', messageId: '2' },
        apiKey: 'ptlc_rotated',
      });
      const reread = await store.bindings.get(guildId, binding.id);
      expect(reread).toEqual({ ok: true, binding: JSON.parse(JSON.stringify(updated)) });

      expect(await store.bindings.remove(guildId, binding.id)).toBe(true);
      expect(await store.bindings.remove(guildId, binding.id)).toBe(false);
      expect(await store.bindings.get(guildId, binding.id)).toBeUndefined();
      expect(await store.bindings.listByGuild(guildId)).toEqual([]);
      expect(await store.bindings.listGuildIds()).not.toContain(guildId);
    });

    it('reports unknown bindings as not found on update', async () => {
      const error = await storeError(store.bindings.update('120000000000000001', 'nope', { name: 'x' }));
      expect(error.code).toBe('not_found');
    });

    it('refuses a duplicate name (case-insensitive) or server in one guild and leaves nothing behind', async () => {
      const guildId = '130000000000000001';
      const first = makeBinding({ guildId, name: 'Survival' });
      await store.bindings.add(first);

      const sameName = makeBinding({ guildId, name: '  survival ' });
      const nameError = await storeError(store.bindings.add(sameName));
      expect(nameError.code).toBe('duplicate_name');
      expect(nameError.userMessage).toContain('“Survival”');

      const sameServer = makeBinding({
        guildId,
        name: 'Other',
        panelUrl: 'https://PANEL.example.com/',
        serverUuid: first.serverUuid.toUpperCase(),
      });
      const serverError = await storeError(store.bindings.add(sameServer));
      expect(serverError.code).toBe('duplicate_server');
      expect(serverError.userMessage).toBe('This server is already bound here as “Survival”.');

      for (const rejected of [sameName, sameServer]) {
        expect(await store.bindings.get(guildId, rejected.id)).toBeUndefined();
        expect(await raw.get(`b:${guildId}:${rejected.id}`)).toBeUndefined();
      }
      expect(await store.bindings.listByGuild(guildId)).toEqual([{ ok: true, binding: first }]);

      // The same name and server are fine in another guild.
      await store.bindings.add({ ...sameServer, guildId: '130000000000000002', name: 'Survival' });

      // Renaming onto an existing name is refused too.
      const second = makeBinding({ guildId, name: 'Creative' });
      await store.bindings.add(second);
      expect((await storeError(store.bindings.update(guildId, second.id, { name: 'SURVIVAL' }))).code).toBe(
        'duplicate_name',
      );
      expect(await store.bindings.update(guildId, second.id, { name: 'Creative 2' })).toMatchObject({
        name: 'Creative 2',
      });
    });

    it('rejects concurrent adds of the same name in one guild (only one lands)', async () => {
      const guildId = '140000000000000001';
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => store.bindings.add(makeBinding({ guildId, name: 'Race' }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await store.bindings.listByGuild(guildId)).toHaveLength(1);
    });

    it('keeps data across a close and reopen', async () => {
      const guildId = '150000000000000001';
      const binding = makeBinding({ guildId });
      await store.bindings.add(binding);
      await store.settings.set('commandsHash', 'abc123');
      await store.close();
      store = await open();
      expect(await store.bindings.get(guildId, binding.id)).toEqual({ ok: true, binding });
      expect(await store.settings.get<string>('commandsHash')).toBe('abc123');
    });

    it('stores settings as JSON values', async () => {
      expect(await store.settings.get('missing')).toBeUndefined();
      await store.settings.set('complex', { a: [1, 2], b: null });
      expect(await store.settings.get('complex')).toEqual({ a: [1, 2], b: null });
      await store.settings.set('complex', 7);
      expect(await store.settings.get('complex')).toBe(7);
      await raw.set('s:broken', '{oops');
      expect((await storeError(store.settings.get('broken'))).code).toBe('corrupt');
    });

    it('lands concurrent adds for different guilds from two Store instances', async () => {
      const other = await open();
      try {
        const guilds = Array.from({ length: 12 }, (_, i) => `16000000000000${String(i).padStart(4, '0')}`);
        await Promise.all(
          guilds.flatMap((guildId, i) => {
            const s = i % 2 === 0 ? store : other;
            return [s.bindings.add(makeBinding({ guildId })), s.bindings.add(makeBinding({ guildId }))];
          }),
        );
        for (const s of [store, other]) {
          const listed = await s.bindings.listGuildIds();
          expect(listed).toEqual(expect.arrayContaining(guilds));
          for (const guildId of guilds) expect(await s.bindings.listByGuild(guildId)).toHaveLength(2);
        }
      } finally {
        await other.close();
      }
    });

    it('never writes the plaintext API key to the backend', async () => {
      const guildId = '170000000000000001';
      const binding = makeBinding({ guildId, apiKey: `ptlc_PLAINTEXT${randomBytes(8).toString('hex')}` });
      await store.bindings.add(binding);
      await store.bindings.update(guildId, binding.id, { name: 'Renamed' });
      const stored = await raw.get(`b:${guildId}:${binding.id}`);
      expect(stored).toBeDefined();
      expect(stored).not.toContain(binding.apiKey);
      expect(stored).not.toContain('PLAINTEXT');
      expect(JSON.parse(stored ?? '')).toMatchObject({
        v: 1,
        binding: { id: binding.id, name: 'Renamed' },
        apiKey: { alg: 'A256GCM' },
      });
      expect(JSON.parse(stored ?? '').binding).not.toHaveProperty('apiKey');
    });
  });
});
