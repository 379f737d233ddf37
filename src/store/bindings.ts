/**
 * Bindings repository.
 *
 * Keys (inside the store namespace):
 *   b:<guildId>:<id>  one binding record (records.ts)
 *   g:<guildId>       the guild's index: { v: 1, ids: [...] }; present only while the guild has bindings
 *
 * Each guild is owned by one process at a time, so only that process rewrites its guild's index; within the process a
 * per-guild lock serialises add/update/remove (duplicate checks and the index are read-modify-write). Different guilds
 * never share a key, so processes adding bindings for different guilds cannot lose each other's writes, and
 * listGuildIds() lists the g: keys by prefix instead of keeping a global list.
 *
 * Write order keeps the index pointing only at records that exist: add writes the record, then the index (and deletes
 * the record again if the index write fails); remove rewrites the index, then deletes the record.
 */
import type { Backend } from './backend.ts';
import { StoreError } from './errors.ts';
import {
  type Binding,
  type BindingRecord,
  bindingSchema,
  type DecodedRecord,
  decodeBinding,
  encodeBinding,
} from './records.ts';

const INDEX_VERSION = 1;

export type BindingPatch = Partial<Omit<Binding, 'id' | 'guildId'>>;

const seg = (s: string) => encodeURIComponent(s);
const recordKey = (guildId: string, id: string) => `b:${seg(guildId)}:${seg(id)}`;
const indexKey = (guildId: string) => `g:${seg(guildId)}`;

const nameKey = (name: string) => name.normalize('NFKC').trim().toLowerCase();
const serverKey = (panelUrl: string, serverUuid: string) =>
  `${panelUrl.trim().replace(/\/+$/, '').toLowerCase()}|${serverUuid.trim().toLowerCase()}`;

interface GuildIndex {
  ids: string[];
  /** false when the index was written by a newer ptero-bridge: read around it, never rewrite it. */
  writable: boolean;
}

export class BindingRepository {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly backend: Backend,
    private readonly encryptionKey: Buffer,
  ) {}

  async listByGuild(guildId: string): Promise<BindingRecord[]> {
    return (await this.loadGuild(guildId)).map((d) => d.record);
  }

  async get(guildId: string, id: string): Promise<BindingRecord | undefined> {
    return (await this.load(guildId, id))?.record;
  }

  async add(binding: Binding): Promise<void> {
    const checked = validate(binding);
    return this.withGuildLock(checked.guildId, async () => {
      const index = await this.readIndex(checked.guildId);
      if (!index.writable) throw newerIndexError();
      if ((await this.backend.get(recordKey(checked.guildId, checked.id))) !== undefined) {
        throw new Error(`binding id ${checked.id} already exists in guild ${checked.guildId}`);
      }
      assertNoDuplicate(checked, await this.loadMany(checked.guildId, index.ids));
      const key = recordKey(checked.guildId, checked.id);
      await this.backend.set(key, encodeBinding(checked, this.encryptionKey));
      try {
        await this.writeIndex(checked.guildId, [...index.ids.filter((i) => i !== checked.id), checked.id]);
      } catch (error) {
        // The binding must not exist without being listed: take the record back out before reporting the failure.
        await this.backend.delete(key).catch(() => undefined);
        throw error;
      }
    });
  }

  update(guildId: string, id: string, patch: BindingPatch): Promise<Binding> {
    return this.withGuildLock(guildId, async () => {
      const current = await this.load(guildId, id);
      if (!current) {
        throw new StoreError(
          'not_found',
          `binding ${id} not found in guild ${guildId}`,
          'That binding no longer exists.',
        );
      }
      if (!current.record.ok) {
        // Never overwrite a record we cannot read: its API key would be lost for good.
        throw new StoreError(current.failure ?? 'corrupt', current.record.error, current.record.error);
      }
      const merged = validate({ ...current.record.binding, ...patch, id, guildId });
      const index = await this.readIndex(guildId);
      const others = (await this.loadMany(guildId, index.ids)).filter((d) => recordId(d.record) !== id);
      assertNoDuplicate(merged, others);
      await this.backend.set(recordKey(guildId, id), encodeBinding(merged, this.encryptionKey));
      return merged;
    });
  }

  remove(guildId: string, id: string): Promise<boolean> {
    return this.withGuildLock(guildId, async () => {
      const key = recordKey(guildId, id);
      const index = await this.readIndex(guildId);
      const listed = index.ids.includes(id);
      const stored = (await this.backend.get(key)) !== undefined;
      if (!listed && !stored) return false;
      if (listed && index.writable) {
        await this.writeIndex(
          guildId,
          index.ids.filter((i) => i !== id),
        );
      }
      if (stored) await this.backend.delete(key);
      return true;
    });
  }

  async listGuildIds(): Promise<string[]> {
    const keys = await this.backend.keys('g:');
    return keys.map((k) => decodeURIComponent(k.slice(2))).sort();
  }

  private async load(guildId: string, id: string): Promise<DecodedRecord | undefined> {
    const raw = await this.backend.get(recordKey(guildId, id));
    return raw === undefined ? undefined : decodeBinding(raw, { guildId, id }, this.encryptionKey);
  }

  private async loadGuild(guildId: string): Promise<DecodedRecord[]> {
    return this.loadMany(guildId, (await this.readIndex(guildId)).ids);
  }

  private async loadMany(guildId: string, ids: string[]): Promise<DecodedRecord[]> {
    const raws = await this.backend.getMany(ids.map((id) => recordKey(guildId, id)));
    const out: DecodedRecord[] = [];
    ids.forEach((id, i) => {
      const raw = raws[i];
      if (raw !== undefined) out.push(decodeBinding(raw, { guildId, id }, this.encryptionKey));
    });
    return out;
  }

  private async readIndex(guildId: string): Promise<GuildIndex> {
    const raw = await this.backend.get(indexKey(guildId));
    if (raw === undefined) return { ids: [], writable: true };
    const parsed = safeJson(raw) as { v?: unknown; ids?: unknown } | undefined;
    const ids = parsed?.ids;
    if (parsed?.v === INDEX_VERSION && Array.isArray(ids) && ids.every((i) => typeof i === 'string')) {
      return { ids: [...new Set(ids as string[])], writable: true };
    }
    // Unreadable or newer index: recover the ids from the record keys themselves.
    const prefix = `b:${seg(guildId)}:`;
    const recovered = (await this.backend.keys(prefix)).map((k) => decodeURIComponent(k.slice(prefix.length)));
    const newer = typeof parsed?.v === 'number' && parsed.v > INDEX_VERSION;
    return { ids: recovered.sort(), writable: !newer };
  }

  private async writeIndex(guildId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) await this.backend.delete(indexKey(guildId));
    else await this.backend.set(indexKey(guildId), JSON.stringify({ v: INDEX_VERSION, ids }));
  }

  private async withGuildLock<T>(guildId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(guildId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(guildId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(guildId) === tail) this.locks.delete(guildId);
    }
  }
}

function validate(binding: Binding): Binding {
  const result = bindingSchema.safeParse(binding);
  if (!result.success) {
    const field = result.error.issues[0]?.path.join('.') || 'binding';
    throw new TypeError(`invalid binding: field "${field}" ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
  return result.data;
}

function assertNoDuplicate(binding: Binding, existing: DecodedRecord[]): void {
  const name = nameKey(binding.name);
  const server = serverKey(binding.panelUrl, binding.serverUuid);
  for (const other of existing) {
    if (other.name !== undefined && nameKey(other.name) === name) {
      throw new StoreError(
        'duplicate_name',
        `guild ${binding.guildId} already has a binding named ${JSON.stringify(other.name)}`,
        `There is already a binding named “${other.name}” here.`,
      );
    }
    if (
      other.panelUrl !== undefined &&
      other.serverUuid !== undefined &&
      serverKey(other.panelUrl, other.serverUuid) === server
    ) {
      const otherName = other.record.ok ? other.record.binding.name : other.record.name;
      throw new StoreError(
        'duplicate_server',
        `guild ${binding.guildId} already binds server ${binding.serverUuid} as ${JSON.stringify(otherName)}`,
        `This server is already bound here as “${otherName}”.`,
      );
    }
  }
}

function recordId(record: BindingRecord): string {
  return record.ok ? record.binding.id : record.id;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function newerIndexError(): StoreError {
  const message =
    'The binding list of this server was stored by a newer ptero-bridge; upgrade ptero-bridge to change it.';
  return new StoreError('corrupt', message, message);
}
