/**
 * Backend failures: unreachable stores fail openStore with one clear line (no password), a store that goes away while
 * running turns operations into StoreError 'backend' (logged, never a crash) and recovers when it comes back, and the
 * SQLite file's folder is created.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, sqliteFilePath } from '../src/store/backend.ts';
import { type Binding, openStore, StoreError } from '../src/store/index.ts';

const silent = pino({ level: 'silent' });
const key = randomBytes(32);
const runId = `e${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const redisUrl = process.env.TEST_REDIS_URL;
const postgresUrl = process.env.TEST_POSTGRES_URL;
if (!redisUrl) console.warn('store-backend-errors: skipping redis outage tests — TEST_REDIS_URL is not set');
if (!postgresUrl) console.warn('store-backend-errors: skipping postgres outage tests — TEST_POSTGRES_URL is not set');

let tempDir = '';
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'ptero-store-errors-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function openError(url: string): Promise<StoreError> {
  try {
    const store = await openStore({ url, encryptionKey: key, logger: silent, connectTimeoutMs: 2000 });
    await store.close();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error(`expected openStore(${url}) to fail`);
}

/** A TCP proxy to a real backend that can cut every connection and refuse new ones, then come back. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let up = true;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (!up) return void client.destroy();
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    async close() {
      this.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), lines };
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const binding = (guildId: string): Binding => ({
  id: `o${randomBytes(4).toString('hex')}`,
  guildId,
  name: `Outage ${randomBytes(2).toString('hex')}`,
  panelUrl: 'https://panel.example.com',
  serverId: 'abcd1234',
  serverUuid: randomBytes(8).toString('hex'),
  apiKey: 'ptlc_outage_key_0123456789',
  consoleChannelId: '1',
  createdBy: '2',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('openStore on an unreachable backend', () => {
  it('names a refused Redis in one line without its password', async () => {
    const port = await closedPort();
    expect((await openError(`redis://127.0.0.1:${port}`)).message).toBe(
      `cannot reach the store at redis://127.0.0.1:${port}: connection refused`,
    );
    const withPassword = await openError(`redis://admin:hunter2secret@127.0.0.1:${port}/0`);
    expect(withPassword.message).toBe(`cannot reach the store at redis://127.0.0.1:${port}/0: connection refused`);
    expect(withPassword.code).toBe('backend');
    expect(withPassword.userMessage).not.toContain('hunter2');
  });

  it('names a refused PostgreSQL in one line without its password', async () => {
    const port = await closedPort();
    const error = await openError(`postgresql://ptero:hunter2secret@127.0.0.1:${port}/ptero_test`);
    expect(error.message).toBe(
      `cannot reach the store at postgresql://127.0.0.1:${port}/ptero_test: connection refused`,
    );
  });

  it.skipIf(!postgresUrl)('reports a wrong PostgreSQL password without echoing it', async () => {
    const url = new URL(postgresUrl ?? '');
    url.password = 'hunter2wrong';
    const error = await openError(url.toString());
    expect(error.message).toMatch(/^cannot reach the store at postgresql:\/\/[^@]+: authentication failed$/);
    expect(error.message).not.toContain('hunter2wrong');
  });

  it('rejects an unsupported scheme clearly', async () => {
    expect((await openError('mysql://root:pw@127.0.0.1/db')).message).toMatch(
      /^unsupported STORE_URL mysql:\/\/127\.0\.0\.1\/db/,
    );
  });

  it('reports a SQLite path that cannot be created', async () => {
    const blocker = path.join(tempDir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const error = await openError(`sqlite://${path.join(blocker, 'sub', 'store.sqlite')}`);
    expect(error.code).toBe('backend');
    expect(error.message).toContain(blocker);
  });
});

describe('SQLite file that cannot be opened', () => {
  it('fails openStore with one line naming the file', async () => {
    const error = await openError(`sqlite://${tempDir}`); // a directory, not a database file
    expect(error.message).toBe(`cannot reach the store at sqlite://${tempDir}: cannot open the file (SQLITE_CANTOPEN)`);
  });
});

describe('SQLite file location', () => {
  it('resolves relative paths against the working directory and keeps absolute ones', () => {
    expect(sqliteFilePath('sqlite://data/ptero-bridge.sqlite')).toBe(
      path.join(process.cwd(), 'data', 'ptero-bridge.sqlite'),
    );
    expect(sqliteFilePath('sqlite:///var/lib/pb/store.sqlite')).toBe('/var/lib/pb/store.sqlite');
  });

  it('creates the folder on first start', async () => {
    const file = path.join(tempDir, 'deep', 'er', 'store.sqlite');
    const store = await openStore({ url: `sqlite://${file}`, encryptionKey: key, logger: silent });
    await store.settings.set('commandsHash', 'h');
    await store.close();
    expect((await stat(file)).isFile()).toBe(true);
  });
});

describe('PostgreSQL terminating idle connections (as on a server restart)', () => {
  it.skipIf(!postgresUrl)('logs the pool error instead of crashing, and keeps working', async () => {
    const appName = `pb-term-${runId}`;
    const url = new URL(postgresUrl ?? '');
    url.searchParams.set('application_name', appName);
    const { logger, lines } = memoryLogger();
    const namespace = `${runId}-pgterm`;
    const store = await openStore({ url: url.toString(), encryptionKey: key, logger, namespace });
    // A separate driver connection plays the administrator restarting the server.
    const pg = createRequire(createRequire(import.meta.url).resolve('@keyv/postgres'))('pg') as {
      Client: new (config: {
        connectionString: string;
      }) => {
        connect(): Promise<void>;
        query(sql: string, values: unknown[]): Promise<{ rows: unknown[] }>;
        end(): Promise<void>;
      };
    };
    const admin = new pg.Client({ connectionString: postgresUrl ?? '' });
    await admin.connect();
    try {
      await store.settings.set('before', 1); // leaves an idle pooled connection behind
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      );
      expect(rows.length).toBeGreaterThan(0);
      await waitFor(async () => lines.join('').includes('store backend error'));
      expect(lines.join('')).toMatch(/terminating connection|connection lost|57P01/);
      // The pool replaces the dead connection on the next query.
      await store.settings.set('after', 2);
      expect(await store.settings.get('after')).toBe(2);
    } finally {
      await admin.query('DELETE FROM public.ptero_bridge WHERE substr(key, 1, $1) = $2', [
        namespace.length + 1,
        `${namespace}:`,
      ]);
      await admin.end();
      await store.close();
    }
  });
});

describe.each([
  { name: 'redis', url: redisUrl },
  { name: 'postgres', url: postgresUrl },
])('$name going away while running', ({ name, url }) => {
  it.skipIf(!url)('turns operations into StoreError backend, logs, and recovers', async () => {
    const target = new URL(url ?? '');
    const proxy = await startProxy({ host: target.hostname, port: Number(target.port) });
    const proxied = new URL(target.toString());
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const namespace = `${runId}-${name}`;
    const { logger, lines } = memoryLogger();
    const store = await openStore({
      url: proxied.toString(),
      encryptionKey: key,
      logger,
      namespace,
      connectTimeoutMs: 2000,
    });
    try {
      const before = binding('600000000000000001');
      await store.bindings.add(before);

      proxy.cut();
      const error = await store.bindings.listByGuild(before.guildId).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('backend');
      expect((error as StoreError).userMessage).toMatch(/cannot reach its database/);
      const failedAdd = await store.bindings.add(binding(before.guildId)).catch((e: unknown) => e);
      expect(failedAdd).toBeInstanceOf(StoreError);

      proxy.restore();
      await waitFor(async () => {
        try {
          return (await store.bindings.listByGuild(before.guildId)).length === 1;
        } catch {
          return false;
        }
      });
      expect(await store.bindings.get(before.guildId, before.id)).toEqual({ ok: true, binding: before });
      const logged = lines.join('');
      expect(logged).toContain('store operation failed');
      if (target.password) expect(logged).not.toContain(`${target.username}:${target.password}@`);
      expect(logged).not.toContain(before.apiKey);
    } finally {
      await store.close();
      await proxy.close();
      const raw = await openBackend({ url: url ?? '', namespace, logger: silent });
      for (const k of await raw.keys('')) await raw.delete(k);
      await raw.close();
    }
  });
});
