/**
 * The key-value backend chosen by STORE_URL: keyv 5 over the official sqlite, redis or postgres adapter.
 *
 * Values are stored as the exact strings the repositories give (serialize/deserialize are pass-through), so every raw
 * row is the record's own JSON and the repositories do all parsing and validation themselves. Every failure of the
 * adapter is raised as StoreError 'backend' (keyv's throwOnErrors), and keyv's 'error' events are logged, never left
 * unhandled. Listing keys by prefix uses the adapter's own connection with a prefix query (SQL) or SCAN (Redis), so
 * there is no global list anyone has to read-modify-write.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type KeyvRedis from '@keyv/redis';
import type KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import type { Logger } from '../log.ts';
import { backendError, describeBackendError, redactStoreUrl, StoreError } from './errors.ts';
import type { PostgresAdapter } from './postgres-adapter.ts';

export interface Backend {
  /** The store URL without credentials. */
  readonly label: string;
  readonly dialect: 'sqlite' | 'redis' | 'postgres';
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Keys (without the namespace) that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface BackendOptions {
  url: string;
  /** Keys live under this namespace; [a-z0-9-], so it never acts as a LIKE/glob wildcard. */
  namespace: string;
  logger: Logger;
  connectTimeoutMs?: number;
}

const TABLE = 'ptero_bridge';

/** sqlite://relative/path is relative to the working directory; sqlite:///abs/path is absolute. */
export function sqliteFilePath(url: string): string {
  const rest = url.replace(/^sqlite:\/\//i, '');
  if (rest === ':memory:') return rest;
  return path.resolve(process.cwd(), rest);
}

export async function openBackend(options: BackendOptions): Promise<Backend> {
  const { url, namespace, logger } = options;
  if (!/^[a-z0-9-]+$/.test(namespace)) throw new TypeError('store namespace must match [a-z0-9-]+');
  const label = redactStoreUrl(url);
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const onError = (error: unknown) => {
    logger.warn({ store: label, reason: backendError(error, url, 'operation').message }, 'store backend error');
  };

  if (scheme === 'sqlite') {
    const file = sqliteFilePath(url);
    if (file !== ':memory:') {
      try {
        await mkdir(path.dirname(file), { recursive: true });
      } catch (error) {
        throw backendError(error, url, 'set-up');
      }
    }
    // Each adapter is loaded only for its own scheme: besides start-up cost, @redis/client declares a String
    // subclass, which makes V8's string slicing slower for the whole process (the feed core ran ~3x slower; bench/).
    const { default: KeyvSqliteAdapter } = await import('@keyv/sqlite');
    const adapter = new KeyvSqliteAdapter({ uri: `sqlite://${file}`, table: TABLE, busyTimeout: 5000 });
    const keyv = makeKeyv(adapter, namespace, true, onError);
    return new KeyvBackend({
      keyv,
      dialect: 'sqlite',
      url,
      label,
      namespace,
      logger,
      listKeys: async (prefix) => {
        const full = `${namespace}:${prefix}`;
        const rows = (await adapter.query(
          `SELECT key FROM ${TABLE} WHERE substr(key, 1, ?) = ?`,
          full.length,
          full,
        )) as Array<{ key: string }>;
        return rows.map((row) => row.key.slice(namespace.length + 1));
      },
      closeAdapter: () => adapter.disconnect(),
    });
  }

  if (scheme === 'redis' || scheme === 'rediss') {
    let connectedOnce = false;
    const { default: KeyvRedisAdapter, createClient } = await import('@keyv/redis');
    const client = createClient({
      url,
      // Fail fast while the bot runs: a command must get an error, not hang until Redis returns.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        // Give up at once on the first connection (openStore reports it); afterwards reconnect with capped backoff.
        reconnectStrategy: (retries: number, cause: Error) =>
          connectedOnce ? Math.min(2 ** retries * 100, 5000) : cause,
      },
    });
    client.on('error', onError);
    try {
      await client.connect();
    } catch (error) {
      const reason = describeBackendError(error, url);
      throw new StoreError(
        'backend',
        `cannot reach the store at ${label}: ${reason}`,
        'The bot cannot reach its database right now; please try again in a moment.',
        reason,
      );
    }
    connectedOnce = true;
    const adapter = new KeyvRedisAdapter(client, { namespace, throwOnErrors: true, throwOnConnectError: true });
    const keyv = makeKeyv(adapter, namespace, false, onError);
    return new KeyvBackend({
      keyv,
      dialect: 'redis',
      url,
      label,
      namespace,
      logger,
      listKeys: async (prefix) => {
        const full = `${namespace}::${prefix}`;
        const keys: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: `${escapeGlob(full)}*`, COUNT: 500, TYPE: 'string' })) {
          for (const key of Array.isArray(batch) ? batch : [batch]) keys.push(String(key).slice(namespace.length + 2));
        }
        return [...new Set(keys)]; // SCAN may return a key twice
      },
      closeAdapter: async () => {
        client.off('error', onError);
        if (client.isOpen) await client.close();
      },
    });
  }

  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { PostgresAdapter: PostgresAdapterClass } = await import('./postgres-adapter.ts');
    const adapter = new PostgresAdapterClass({
      uri: url,
      table: TABLE,
      connectionTimeoutMillis: connectTimeoutMs,
      onPoolError: onError,
    });
    const keyv = makeKeyv(adapter, namespace, true, onError);
    return new KeyvBackend({
      keyv,
      dialect: 'postgres',
      url,
      label,
      namespace,
      logger,
      listKeys: async (prefix) => {
        const full = `${namespace}:${prefix}`;
        const rows = (await adapter.query(`SELECT key FROM public.${TABLE} WHERE substr(key, 1, $1) = $2`, [
          full.length,
          full,
        ])) as Array<{ key: string }>;
        return rows.map((row) => row.key.slice(namespace.length + 1));
      },
      closeAdapter: () => adapter.disconnect(),
    });
  }

  throw new StoreError(
    'backend',
    `unsupported STORE_URL ${label}: use sqlite://, redis://, rediss:// or postgresql://`,
    'The bot is misconfigured (unsupported STORE_URL).',
  );
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

type Adapter = KeyvSqlite | KeyvRedis<string> | PostgresAdapter;

function makeKeyv(adapter: Adapter, namespace: string, useKeyPrefix: boolean, onError: (e: unknown) => void): Keyv {
  const keyv = new Keyv(adapter, {
    namespace,
    useKeyPrefix,
    throwOnErrors: true,
    // Pass-through: the repositories store their own JSON text and parse it themselves.
    serialize: (data) => String(data.value),
    deserialize: <Value>(text: string) => ({ value: text as Value }),
  });
  keyv.on('error', onError);
  return keyv;
}

interface KeyvBackendParts {
  keyv: Keyv;
  dialect: Backend['dialect'];
  url: string;
  label: string;
  namespace: string;
  logger: Logger;
  listKeys: (prefix: string) => Promise<string[]>;
  closeAdapter: () => Promise<void>;
}

class KeyvBackend implements Backend {
  readonly dialect: Backend['dialect'];
  readonly label: string;
  private closed = false;
  private readonly keyv: Keyv;
  private readonly url: string;
  private readonly namespace: string;
  private readonly logger: Logger;
  private readonly listKeys: KeyvBackendParts['listKeys'];
  private readonly closeAdapter: KeyvBackendParts['closeAdapter'];

  constructor(parts: KeyvBackendParts) {
    this.keyv = parts.keyv;
    this.dialect = parts.dialect;
    this.url = parts.url;
    this.label = parts.label;
    this.namespace = parts.namespace;
    this.logger = parts.logger;
    this.listKeys = parts.listKeys;
    this.closeAdapter = parts.closeAdapter;
  }

  private async run<T>(action: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('backend', `store ${action} after close`, 'The bot is shutting down.');
    try {
      return await op();
    } catch (error) {
      const failure = backendError(error, this.url, action);
      this.logger.warn({ store: this.label, action, reason: failure.message }, 'store operation failed');
      throw failure;
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.run('read', async () => toText(await this.keyv.get<string>(key)));
  }

  getMany(keys: string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run('read', async () => (await this.keyv.getMany<string>(keys)).map(toText));
  }

  set(key: string, value: string): Promise<void> {
    return this.run('write', async () => {
      await this.keyv.set(key, value);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.run('delete', () => this.keyv.delete(key));
  }

  keys(prefix: string): Promise<string[]> {
    return this.run('list', () => this.listKeys(prefix));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.closeAdapter();
    } catch (error) {
      throw backendError(error, this.url, 'close');
    }
  }

  toString(): string {
    return `Backend(${this.dialect} ${this.label} ns=${this.namespace})`;
  }
}

function toText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}
