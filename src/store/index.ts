/**
 * Storage of ptero-bridge: bindings (panel API key encrypted with AES-256-GCM), settings and the per-binding audit
 * trail, on keyv 5 with the backend chosen by STORE_URL (sqlite://, redis://, rediss://, postgres(ql)://).
 */
import type { Logger } from '../log.ts';
import { AUDIT_LIMIT, type AuditEntry, AuditRepository } from './audit.ts';
import { openBackend } from './backend.ts';
import { type BindingPatch, BindingRepository } from './bindings.ts';
import { describeBackendError, redactStoreUrl, StoreError } from './errors.ts';
import type { Binding, BindingRecord } from './records.ts';
import { SettingsRepository } from './settings.ts';

export type { AuditAction, AuditResult } from './audit.ts';
export type { StoreErrorCode } from './errors.ts';
export type { AuditEntry, Binding, BindingPatch, BindingRecord };
export { AUDIT_LIMIT, StoreError };

export interface Store {
  bindings: {
    listByGuild(guildId: string): Promise<BindingRecord[]>;
    get(guildId: string, id: string): Promise<BindingRecord | undefined>;
    add(binding: Binding): Promise<void>;
    update(guildId: string, id: string, patch: BindingPatch): Promise<Binding>;
    remove(guildId: string, id: string): Promise<boolean>;
    listGuildIds(): Promise<string[]>;
  };
  settings: { get<T>(key: string): Promise<T | undefined>; set<T>(key: string, value: T): Promise<void> };
  /** Bounded per binding (AUDIT_LIMIT entries, oldest dropped); list is newest first. */
  audit: {
    append(guildId: string, bindingId: string, entry: AuditEntry): Promise<void>;
    list(guildId: string, bindingId: string, limit: number): Promise<AuditEntry[]>;
    clear(guildId: string, bindingId: string): Promise<void>;
  };
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  url: string;
  encryptionKey: Buffer;
  logger: Logger;
  /** Key namespace ([a-z0-9-]+), default 'ptero-bridge'. Tests use a unique one per run. */
  namespace?: string;
  /** Connection timeout for Redis/PostgreSQL, default 5000 ms. */
  connectTimeoutMs?: number;
  /** Audit entries kept per binding, default AUDIT_LIMIT (500). */
  auditLimit?: number;
}

export const DEFAULT_NAMESPACE = 'ptero-bridge';

/** Opens the store and checks with one read that the backend answers; throws a one-line StoreError 'backend' otherwise. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { url, encryptionKey, logger } = options;
  if (!Buffer.isBuffer(encryptionKey) || encryptionKey.length !== 32) {
    throw new TypeError('encryptionKey must be a 32-byte Buffer');
  }
  const log = logger.child({ module: 'store' });
  const backend = await openBackend({
    url,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    logger: log,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  });
  try {
    await backend.get('s:__ping');
  } catch (error) {
    await backend.close().catch(() => undefined);
    const reason = error instanceof StoreError && error.detail ? error.detail : describeBackendError(error, url);
    throw new StoreError(
      'backend',
      `cannot reach the store at ${redactStoreUrl(url)}: ${reason}`,
      'The bot cannot reach its database right now; please try again in a moment.',
      reason,
    );
  }
  log.info({ store: backend.label, backend: backend.dialect }, 'store opened');

  const bindings = new BindingRepository(backend, encryptionKey);
  const settings = new SettingsRepository(backend);
  const audit = new AuditRepository(backend, options.auditLimit ?? AUDIT_LIMIT);
  return {
    bindings: {
      listByGuild: (guildId) => bindings.listByGuild(guildId),
      get: (guildId, id) => bindings.get(guildId, id),
      add: (binding) => bindings.add(binding),
      update: (guildId, id, patch) => bindings.update(guildId, id, patch),
      remove: (guildId, id) => bindings.remove(guildId, id),
      listGuildIds: () => bindings.listGuildIds(),
    },
    settings: {
      get: <T>(key: string) => settings.get<T>(key),
      set: <T>(key: string, value: T) => settings.set<T>(key, value),
    },
    audit: {
      append: (guildId, bindingId, entry) => audit.append(guildId, bindingId, entry),
      list: (guildId, bindingId, limit) => audit.list(guildId, bindingId, limit),
      clear: (guildId, bindingId) => audit.clear(guildId, bindingId),
    },
    close: () => backend.close(),
  };
}
