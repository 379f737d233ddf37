/**
 * Audit trail: every power action and console command asked for from Discord, per binding, bounded.
 *
 * Keys (inside the store namespace), a ring of AUDIT_LIMIT slots per binding:
 *   a:<guildId>:<bindingId>:head      { v: 1, next }           sequence number the next entry gets
 *   a:<guildId>:<bindingId>:<slot>    { v: 1, seq, entry }     slot = seq % AUDIT_LIMIT
 *
 * An append writes one slot and the head, whatever the trail's length, and the oldest entry is overwritten in place.
 * The slot is written first: if the head write fails the entry is simply not counted and the next append reuses the
 * slot. A slot whose seq is not the one expected (left from before a failed head write) is skipped when listing. Each
 * guild is served by one process, and appends for one binding are serialised in-process.
 */
import { z } from 'zod';
import type { Backend } from './backend.ts';

export const AUDIT_LIMIT = 500;
const AUDIT_VERSION = 1;

export type AuditAction = 'start' | 'stop' | 'restart' | 'kill' | 'command';
/** sent: reached Wings (power: the final state is in `finalState`/`detail`); the refusals never left the bot. */
export type AuditResult = 'sent' | 'refused_policy' | 'refused_permission' | 'failed';

export interface AuditEntry {
  /** ISO time the member asked. */
  at: string;
  actorId: string;
  actorName: string;
  source: 'command' | 'button';
  action: AuditAction;
  /** The console command (redacted with the binding's rules when recorded). */
  command?: string;
  result: AuditResult;
  /** Why it was refused or failed, or how a power action ended. */
  detail?: string;
  /** Power actions: the last state seen when the bot stopped following. */
  finalState?: string;
}

const entrySchema = z.object({
  at: z.string().min(1),
  actorId: z.string().min(1),
  actorName: z.string(),
  source: z.enum(['command', 'button']),
  action: z.enum(['start', 'stop', 'restart', 'kill', 'command']),
  command: z.string().max(2000).optional(),
  result: z.enum(['sent', 'refused_policy', 'refused_permission', 'failed']),
  detail: z.string().max(2000).optional(),
  finalState: z.string().max(32).optional(),
});

const seg = (s: string) => encodeURIComponent(s);
const prefix = (guildId: string, bindingId: string) => `a:${seg(guildId)}:${seg(bindingId)}:`;
const headKey = (guildId: string, bindingId: string) => `${prefix(guildId, bindingId)}head`;
const slotKey = (guildId: string, bindingId: string, slot: number) => `${prefix(guildId, bindingId)}${slot}`;

export class AuditRepository {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly backend: Backend,
    readonly limit = AUDIT_LIMIT,
  ) {}

  async append(guildId: string, bindingId: string, entry: AuditEntry): Promise<void> {
    const checked = entrySchema.parse(entry) as AuditEntry;
    return this.withLock(prefix(guildId, bindingId), async () => {
      const seq = await this.readNext(guildId, bindingId);
      await this.backend.set(
        slotKey(guildId, bindingId, seq % this.limit),
        JSON.stringify({ v: AUDIT_VERSION, seq, entry: checked }),
      );
      await this.backend.set(headKey(guildId, bindingId), JSON.stringify({ v: AUDIT_VERSION, next: seq + 1 }));
    });
  }

  /** Newest first, at most `limit` (and never more than the trail keeps). */
  async list(guildId: string, bindingId: string, limit: number): Promise<AuditEntry[]> {
    const next = await this.readNext(guildId, bindingId);
    const count = Math.max(0, Math.min(limit, this.limit, next));
    const seqs = Array.from({ length: count }, (_, i) => next - 1 - i);
    const raws = await this.backend.getMany(seqs.map((s) => slotKey(guildId, bindingId, s % this.limit)));
    const out: AuditEntry[] = [];
    seqs.forEach((seq, i) => {
      const slot = parseSlot(raws[i]);
      if (slot && slot.seq === seq) out.push(slot.entry);
    });
    return out;
  }

  /** Deletes a binding's whole trail (the binding was removed). */
  clear(guildId: string, bindingId: string): Promise<void> {
    return this.withLock(prefix(guildId, bindingId), async () => {
      const keys = await this.backend.keys(prefix(guildId, bindingId));
      // The head goes first: a crash half-way leaves slots that no head points at, never a head over missing slots.
      keys.sort((a, b) => Number(b.endsWith(':head')) - Number(a.endsWith(':head')));
      for (const key of keys) await this.backend.delete(key);
    });
  }

  private async readNext(guildId: string, bindingId: string): Promise<number> {
    const raw = await this.backend.get(headKey(guildId, bindingId));
    if (raw !== undefined) {
      const doc = safeJson(raw) as { v?: unknown; next?: unknown } | undefined;
      if (doc?.v === AUDIT_VERSION && Number.isSafeInteger(doc.next) && (doc.next as number) >= 0) {
        return doc.next as number;
      }
    }
    // No head (or an unreadable one): continue after the highest entry still stored.
    const p = prefix(guildId, bindingId);
    const keys = (await this.backend.keys(p)).filter((k) => /^\d+$/.test(k.slice(p.length)));
    if (keys.length === 0) return 0;
    const raws = await this.backend.getMany(keys);
    let max = -1;
    for (const r of raws) max = Math.max(max, parseSlot(r)?.seq ?? -1);
    return max + 1;
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

function parseSlot(raw: string | undefined): { seq: number; entry: AuditEntry } | undefined {
  if (raw === undefined) return undefined;
  const doc = safeJson(raw) as { v?: unknown; seq?: unknown; entry?: unknown } | undefined;
  if (doc?.v !== AUDIT_VERSION || !Number.isSafeInteger(doc.seq)) return undefined;
  const entry = entrySchema.safeParse(doc.entry);
  return entry.success ? { seq: doc.seq as number, entry: entry.data as AuditEntry } : undefined;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
