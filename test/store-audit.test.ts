/**
 * The audit trail and the v2 binding fields against every backend: SQLite (a temp file), Redis and PostgreSQL (from
 * TEST_REDIS_URL / TEST_POSTGRES_URL; skipped with a printed reason when absent). Own key namespace per run.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCommandPolicy } from '../src/policy/index.ts';
import { type Backend, openBackend } from '../src/store/backend.ts';
import { type AuditEntry, type Binding, openStore, type Store } from '../src/store/index.ts';
import { storeBackends } from './store-backends.ts';

const logger = pino({ level: 'silent' });
const { backends, runId } = storeBackends('store-audit', path.join('audit.sqlite'));

function entry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    actorId: `9000000000000000${i % 10}`,
    actorName: `member ${i}`,
    source: 'command',
    action: 'command',
    command: `say ${i}`,
    result: 'sent',
    ...overrides,
  };
}

let seq = 0;
function makeBinding(guildId: string, overrides: Partial<Binding> = {}): Binding {
  seq++;
  return {
    id: `bnd${seq}${randomBytes(2).toString('hex')}`,
    guildId,
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

describe.each(backends)('audit and policy fields on $name', (backend) => {
  const enabled = backend.env === undefined || Boolean(process.env[backend.env]);
  const namespace = `${runId}-${backend.name}`;
  let store: Store;
  let raw: Backend;

  describe.skipIf(!enabled)('store', () => {
    beforeAll(async () => {
      store = await openStore({ url: backend.url(), encryptionKey: randomBytes(32), logger, namespace, auditLimit: 5 });
      raw = await openBackend({ url: backend.url(), namespace, logger });
    });
    afterAll(async () => {
      if (!raw) return;
      await store?.close();
      for (const k of await raw.keys('')) await raw.delete(k);
      await raw.close();
    });

    it('lists newest first and keeps only the last `limit` entries', async () => {
      for (let i = 0; i < 8; i++) await store.audit.append('g1', 'b1', entry(i));
      const listed = await store.audit.list('g1', 'b1', 100);
      expect(listed.map((e) => e.command)).toEqual(['say 7', 'say 6', 'say 5', 'say 4', 'say 3']);
      expect((await store.audit.list('g1', 'b1', 2)).map((e) => e.command)).toEqual(['say 7', 'say 6']);
      // The ring never holds more keys than the bound (5 slots + the head).
      expect((await raw.keys('a:g1:b1:')).length).toBe(6);
    });

    it('keeps bindings apart and round-trips every field', async () => {
      const full = entry(1, {
        source: 'button',
        action: 'restart',
        command: undefined,
        result: 'failed',
        detail: 'Wings refused: busy',
        finalState: 'running',
      });
      await store.audit.append('g1', 'b2', full);
      await store.audit.append('g2', 'b1', entry(2, { result: 'refused_policy', detail: 'op is on the deny list' }));
      expect(await store.audit.list('g1', 'b2', 10)).toEqual([JSON.parse(JSON.stringify(full))]);
      expect(await store.audit.list('g2', 'b1', 10)).toMatchObject([{ result: 'refused_policy' }]);
      expect(await store.audit.list('g9', 'none', 10)).toEqual([]);
    });

    it('serialises concurrent appends without losing one', async () => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.audit.append('g3', 'b1', entry(i))));
      const listed = await store.audit.list('g3', 'b1', 10);
      expect(listed.map((e) => e.command).sort()).toEqual(['say 0', 'say 1', 'say 2', 'say 3', 'say 4']);
    });

    it('recovers the sequence from the entries when the head is lost, and skips stale or broken slots', async () => {
      for (let i = 0; i < 3; i++) await store.audit.append('g4', 'b1', entry(i));
      await raw.delete('a:g4:b1:head');
      await raw.set('a:g4:b1:0', 'not json');
      await store.audit.append('g4', 'b1', entry(3));
      expect((await store.audit.list('g4', 'b1', 10)).map((e) => e.command)).toEqual(['say 3', 'say 2', 'say 1']);
    });

    it('clear removes a binding’s whole trail only', async () => {
      await store.audit.append('g5', 'b1', entry(1));
      await store.audit.append('g5', 'b10', entry(2));
      await store.audit.clear('g5', 'b1');
      expect(await store.audit.list('g5', 'b1', 10)).toEqual([]);
      expect(await raw.keys('a:g5:b1:')).toEqual([]);
      expect(await store.audit.list('g5', 'b10', 10)).toHaveLength(1);
    });

    it('rejects an entry that does not fit the schema', async () => {
      await expect(store.audit.append('g6', 'b1', { ...entry(1), result: 'maybe' as never })).rejects.toThrow();
      expect(await store.audit.list('g6', 'b1', 10)).toEqual([]);
    });

    it('does not disturb binding listings (audit keys are not bindings)', async () => {
      const guildId = '700000000000000001';
      const binding = makeBinding(guildId);
      await store.bindings.add(binding);
      await store.audit.append(guildId, binding.id, entry(1));
      expect(await store.bindings.listByGuild(guildId)).toEqual([{ ok: true, binding }]);
    });

    it('writes a binding without policy fields as v1 and reads it with no fields (the defaults apply)', async () => {
      const guildId = '700000000000000002';
      const binding = makeBinding(guildId);
      await store.bindings.add(binding);
      const stored = JSON.parse((await raw.get(`b:${guildId}:${binding.id}`)) ?? '');
      expect(stored.v).toBe(1);
      const read = await store.bindings.get(guildId, binding.id);
      expect(read?.ok && read.binding.commandPolicy).toBeUndefined();
    });

    it('stores policy and redaction as v2 and reads them back', async () => {
      const guildId = '700000000000000003';
      const binding = makeBinding(guildId);
      await store.bindings.add(binding);
      const policy = { mode: 'allow' as const, words: ['say', 'list'] };
      const redaction = { ips: false, rules: [{ pattern: 'secret-\\d+', addedBy: '1', addedAt: 'now' }] };
      const updated = await store.bindings.update(guildId, binding.id, { commandPolicy: policy, redaction });
      expect(updated).toMatchObject({ commandPolicy: policy, redaction });
      expect(JSON.parse((await raw.get(`b:${guildId}:${binding.id}`)) ?? '').v).toBe(2);
      expect(await store.bindings.get(guildId, binding.id)).toEqual({ ok: true, binding: updated });
    });

    it('refuses a malformed policy field as a corrupt record, naming the field', async () => {
      const guildId = '700000000000000004';
      const binding = makeBinding(guildId, { commandPolicy: defaultCommandPolicy() });
      await store.bindings.add(binding);
      const key = `b:${guildId}:${binding.id}`;
      const doc = JSON.parse((await raw.get(key)) ?? '');
      doc.binding.commandPolicy = { mode: 'maybe', words: [] };
      await raw.set(key, JSON.stringify(doc));
      const read = await store.bindings.get(guildId, binding.id);
      expect(read).toMatchObject({ ok: false, error: expect.stringMatching(/commandPolicy\.mode/) });
    });
  });
});
