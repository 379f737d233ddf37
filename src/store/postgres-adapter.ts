/**
 * @keyv/postgres with a pool per adapter instead of its process-wide one.
 *
 * The stock adapter keeps a single module-level pg pool (a second store, or closing one store, ends it for everyone)
 * and attaches no 'error' listener to it: when PostgreSQL restarts, an idle pooled connection receives the server's
 * termination notice, the pool re-emits it as 'error', and with no listener that crashes the process. This subclass
 * gives each adapter its own pool, hands pool errors to a callback, and ends only its own pool on disconnect.
 * `pg` is loaded from where @keyv/postgres resolves it, so it is the very driver the adapter was built for.
 */
import { createRequire } from 'node:module';
import KeyvPostgres from '@keyv/postgres';

interface PgPool {
  query(sql: string, values?: unknown): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPool;
}

const requireFromAdapter = createRequire(createRequire(import.meta.url).resolve('@keyv/postgres'));
const pg = requireFromAdapter('pg') as PgModule;

export interface PostgresAdapterOptions {
  uri: string;
  table: string;
  connectionTimeoutMillis: number;
  onPoolError: (error: Error) => void;
}

// The base constructor calls connect() before subclass fields exist, so the pool lives beside the instance.
const pools = new WeakMap<object, PgPool>();

export class PostgresAdapter extends KeyvPostgres {
  constructor(options: PostgresAdapterOptions) {
    super({ ...options });
  }

  override async connect(): Promise<(sql: string, values?: unknown) => Promise<unknown[]>> {
    let pool = pools.get(this);
    if (!pool) {
      const opts = this.opts as unknown as PostgresAdapterOptions;
      pool = new pg.Pool({ connectionString: opts.uri, connectionTimeoutMillis: opts.connectionTimeoutMillis });
      pool.on('error', (error) => opts.onPoolError(error));
      pools.set(this, pool);
    }
    const own = pool;
    return async (sql, values) => (await own.query(sql, values)).rows;
  }

  override async disconnect(): Promise<void> {
    const pool = pools.get(this);
    pools.delete(this);
    await pool?.end();
  }
}
