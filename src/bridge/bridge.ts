/**
 * Where a binding comes to life. The bridge keeps, for every guild this process serves, its bindings and one shared
 * Wings subscription per binding; commands, the feed and the power panel all reach the server through it.
 */
import { EventEmitter } from 'node:events';
import { UserError } from '../discord/errors.ts';
import { inert } from '../discord/format.ts';
import type { Logger } from '../log.ts';
import { PanelClient } from '../panel/client.ts';
import { compileRedaction, redactLine } from '../policy/redaction.ts';
import type { AuditEntry, Binding, BindingRecord, Store } from '../store/index.ts';
import type { ConnectionState, WingsConnection } from '../wings/connection.ts';
import type { WingsHub, WingsSubscription } from '../wings/hub.ts';
import type { PowerAction, WingsStats } from '../wings/protocol.ts';
import { PowerClaims } from './power.ts';
import { type ServerLimits, StatsSource, type StatsTuning } from './stats-source.ts';

export const recordId = (r: BindingRecord): string => (r.ok ? r.binding.id : r.id);
export const recordName = (r: BindingRecord): string => (r.ok ? r.binding.name : r.name);

export interface LiveBinding {
  readonly binding: Binding;
  readonly connection: WingsConnection;
  /** Last problem seen on the connection (retry reason or stop reason), for `/server list`. */
  lastError?: string;
}

interface LiveEntry extends LiveBinding {
  subscription: WingsSubscription;
  detach: () => void;
}

/** A power action or console command asked for from Discord (any surface), for the feed's audit line. */
export interface ActionRecord {
  actorId: string;
  /** How the feed names the member (their display name). */
  actorName: string;
  /** 'start' | 'stop' | 'restart' | 'kill', or 'command'. */
  action: string;
  command?: string;
  source: 'command' | 'button';
}

export interface BridgeEvents {
  activated: [live: LiveBinding];
  deactivated: [live: LiveBinding];
  action: [live: LiveBinding, record: ActionRecord];
}

/** How long a command waits for a connecting socket before telling the user it is not connected. */
const READY_WAIT_MS = 5_000;

export class Bridge extends EventEmitter<BridgeEvents> {
  private readonly guilds = new Map<string, Map<string, LiveEntry>>();
  private readonly describers = new Set<(live: LiveBinding) => string | undefined>();
  private replaySource: ((live: LiveBinding) => Promise<string[]>) | undefined;
  /** Guilds the bot left: nothing is attached for them (a command still in flight included) until it joins again. */
  private readonly departed = new Set<string>();
  private readonly stats: StatsSource;
  private readonly powerClaims = new PowerClaims();

  constructor(
    readonly store: Store,
    private readonly hub: WingsHub,
    private readonly logger: Logger,
  ) {
    super();
    this.stats = new StatsSource(logger, (binding) => this.createPanelClient(binding));
  }

  /** How /stats spares the panel and Wings; tests may shorten it. */
  get statsTuning(): StatsTuning {
    return this.stats.tuning;
  }

  get activeGuildCount(): number {
    return this.guilds.size;
  }

  /** The bot is in the guild (start, GUILD_CREATE): brings every stored binding of it to life. */
  async activateGuild(guildId: string): Promise<void> {
    this.departed.delete(guildId);
    await this.bringUp(guildId);
  }

  /** The bot left the guild (GUILD_DELETE): closes its sockets, and commands still in flight for it attach nothing. */
  async leaveGuild(guildId: string): Promise<void> {
    this.departed.add(guildId);
    await this.deactivateGuild(guildId);
  }

  /** Throws the sentence a command for a guild the bot has left ends with (checked again after every await). */
  private assertMember(guildId: string): void {
    if (this.departed.has(guildId)) throw new UserError('The bot is no longer in this server.');
  }

  private async bringUp(guildId: string): Promise<void> {
    if (this.departed.has(guildId) || this.guilds.has(guildId)) return;
    const entries = new Map<string, LiveEntry>();
    this.guilds.set(guildId, entries);
    let records: BindingRecord[];
    try {
      records = await this.store.bindings.listByGuild(guildId);
    } catch (error) {
      // Left in place, the empty entry would make every later activation return early: the guild would stay without
      // feeds. Without it, the next activation (a command's resolve, GUILD_CREATE) tries again.
      if (this.guilds.get(guildId) === entries) this.guilds.delete(guildId);
      throw error;
    }
    // The guild left (or went unavailable) while its bindings were being read: attaching now would open sockets nobody
    // can ever close.
    if (this.guilds.get(guildId) !== entries) return;
    for (const record of records) {
      if (record.ok) this.attach(entries, record.binding);
      else
        this.logger.warn(
          { guild: guildId, binding: recordId(record), reason: record.error },
          'binding cannot be loaded',
        );
    }
  }

  /** Closes a guild's sockets (shutdown; `leaveGuild` when the bot left it). */
  async deactivateGuild(guildId: string): Promise<void> {
    const entries = this.guilds.get(guildId);
    if (!entries) return;
    this.guilds.delete(guildId);
    for (const entry of entries.values()) this.detach(entry);
  }

  async close(): Promise<void> {
    for (const guildId of [...this.guilds.keys()]) await this.deactivateGuild(guildId);
    await this.hub.closeAll();
  }

  /** Stored records of a guild, loadable or not, with their live side when there is one. */
  async list(guildId: string): Promise<Array<{ record: BindingRecord; live?: LiveBinding }>> {
    const entries = this.guilds.get(guildId);
    const records = await this.store.bindings.listByGuild(guildId);
    return records.map((record) => {
      const live = record.ok ? entries?.get(record.binding.id) : undefined;
      return live ? { record, live } : { record };
    });
  }

  live(guildId: string, bindingId: string): LiveBinding | undefined {
    return this.guilds.get(guildId)?.get(bindingId);
  }

  liveBindings(): LiveBinding[] {
    return [...this.guilds.values()].flatMap((m) => [...m.values()]);
  }

  /**
   * The binding a command means: by name (case-insensitive) or id; may be left out when the guild has exactly one.
   */
  async resolve(guildId: string, server: string | null | undefined): Promise<LiveBinding> {
    this.assertMember(guildId);
    await this.bringUp(guildId);
    const records = await this.store.bindings.listByGuild(guildId);
    this.assertMember(guildId);
    if (records.length === 0) {
      throw new UserError('No game server is bound in this Discord server yet. An admin can add one with /server add.');
    }
    let record: BindingRecord | undefined;
    if (server === null || server === undefined || server.trim() === '') {
      if (records.length > 1) {
        const names = records.map((r) => `“${recordName(r)}”`).join(', ');
        throw new UserError(`Several servers are bound here (${names}); say which one with the \`server\` option.`);
      }
      record = records[0];
    } else {
      const wanted = server.trim().toLowerCase();
      record = records.find((r) => recordName(r).toLowerCase() === wanted || recordId(r) === server.trim());
      if (!record) {
        const names = records.map((r) => `“${recordName(r)}”`).join(', ');
        throw new UserError(`No bound server is called “${server.trim().slice(0, 100)}”. Bound here: ${names}.`);
      }
    }
    if (!record) throw new UserError('No game server is bound here.');
    if (!record.ok) {
      throw new UserError(`The binding “${record.name}” cannot be used: ${record.error}`);
    }
    const live = this.guilds.get(guildId)?.get(record.binding.id);
    if (live) return live;
    // Stored by another path (e.g. added while this guild was inactive): bring it up now.
    const entries = this.guilds.get(guildId) ?? new Map<string, LiveEntry>();
    this.guilds.set(guildId, entries);
    return this.attach(entries, record.binding);
  }

  async autocomplete(guildId: string, query: string): Promise<Array<{ name: string; value: string }>> {
    const q = query.trim().toLowerCase();
    const records = await this.store.bindings.listByGuild(guildId);
    return records
      .map((r) => recordName(r))
      .filter((name) => name.toLowerCase().includes(q))
      .slice(0, 25)
      .map((name) => ({ name: name.slice(0, 100), value: name.slice(0, 100) }));
  }

  /** Stores a validated binding and brings it to life. */
  async add(binding: Binding): Promise<LiveBinding> {
    this.assertMember(binding.guildId);
    await this.bringUp(binding.guildId);
    this.assertMember(binding.guildId);
    await this.store.bindings.add(binding);
    // Stored for when the bot joins again; nothing is opened for a guild it has left meanwhile.
    this.assertMember(binding.guildId);
    const entries = this.guilds.get(binding.guildId) ?? new Map<string, LiveEntry>();
    this.guilds.set(binding.guildId, entries);
    return this.attach(entries, binding);
  }

  async update(guildId: string, id: string, patch: Partial<Omit<Binding, 'id' | 'guildId'>>): Promise<Binding> {
    const updated = await this.store.bindings.update(guildId, id, patch);
    const entry = this.guilds.get(guildId)?.get(id);
    if (entry) (entry as { binding: Binding }).binding = updated;
    return updated;
  }

  /** Removes a binding by name or id; closes its socket. Works on undecryptable records too. */
  async remove(guildId: string, server: string): Promise<string> {
    const records = await this.store.bindings.listByGuild(guildId);
    const wanted = server.trim().toLowerCase();
    const record = records.find((r) => recordName(r).toLowerCase() === wanted || recordId(r) === server.trim());
    if (!record) throw new UserError(`No bound server is called “${server.trim().slice(0, 100)}”.`);
    const entry = this.guilds.get(guildId)?.get(recordId(record));
    if (entry) {
      this.guilds.get(guildId)?.delete(recordId(record));
      this.detach(entry);
    }
    await this.store.bindings.remove(guildId, recordId(record));
    // The trail belongs to the binding: it goes with it (a binding of the same server later starts a new one).
    await this.store.audit
      .clear(guildId, recordId(record))
      .catch((err: unknown) =>
        this.logger.warn({ err, binding: recordId(record) }, 'audit trail of a removed binding not deleted'),
      );
    return recordName(record);
  }

  /** Claims the binding's server for one power action until the returned release is called (see PowerClaims). */
  beginPowerAction(live: LiveBinding, action: PowerAction, actor: { name: string }): () => void {
    return this.powerClaims.claim(live, action, actor);
  }

  /**
   * Throws a UserError naming the reason when the binding's socket is not usable now. `restartStopped` (moderator
   * commands only) lets a socket stopped for a cause the panel may have fixed try once more; a read-only command open
   * to everyone must not make the bot reconnect.
   */
  async ensureConnected(live: LiveBinding, options: { restartStopped?: boolean } = {}): Promise<void> {
    const state = live.connection.connectionState;
    if (state.kind === 'ready') return;
    if (state.kind === 'stopped') {
      if (state.code === 'closed' || options.restartStopped === false) {
        throw new UserError(`${inert(live.binding.name, 64)} is not connected: ${inert(state.reason, 300)}`);
      }
      // Stopped for a cause the panel side may have fixed since (unsuspended, permission granted): a command is the
      // moment to try once more; if the cause remains, it stops again with the same reason, shown below.
      live.connection.start();
    }
    try {
      await live.connection.waitForReady(READY_WAIT_MS);
    } catch {
      // Wings and panel texts are shown as text: escaped, no mentions, bounded.
      const reason = live.lastError ? `: ${inert(live.lastError, 300)}` : ' yet; the bot is still connecting to Wings.';
      throw new UserError(`${inert(live.binding.name, 64)} is not connected${reason}`);
    }
  }

  /** Current statistics, sparing Wings where the bot already knows them (see StatsSource.fresh). */
  freshStats(live: LiveBinding, timeoutMs?: number): Promise<WingsStats> {
    return this.stats.fresh(live, timeoutMs);
  }

  /** The panel's limits for the server, or undefined if the panel is unreachable (see StatsSource.limits). */
  serverLimits(live: LiveBinding): Promise<ServerLimits | undefined> {
    return this.stats.limits(live);
  }

  createPanelClient(binding: Pick<Binding, 'panelUrl' | 'apiKey'>): PanelClient {
    return new PanelClient({ panelUrl: binding.panelUrl, apiKey: binding.apiKey, logger: this.logger });
  }

  /** Extra lines about a binding from components attached to it (the feed's counters), for `/server list`. */
  describeExtras(live: LiveBinding): string | undefined {
    const parts = [...this.describers].map((d) => d(live)).filter((x): x is string => Boolean(x));
    return parts.length > 0 ? parts.join('\n') : undefined;
  }

  addDescriber(describer: (live: LiveBinding) => string | undefined): void {
    this.describers.add(describer);
  }

  setReplaySource(source: (live: LiveBinding) => Promise<string[]>): void {
    this.replaySource = source;
  }

  /**
   * The server's recent console lines (`send logs`). Goes through the feed so the replay is not posted twice; Wings
   * answers only while the server runs.
   */
  async recentLogs(live: LiveBinding): Promise<string[]> {
    if (live.connection.serverState === 'offline') {
      throw new UserError(`${live.binding.name} is offline; Wings keeps no log to show until it starts again.`);
    }
    if (!this.replaySource) throw new Error('no replay source wired');
    return this.replaySource(live);
  }

  recordAction(live: LiveBinding, record: ActionRecord): void {
    this.emit('action', live, record);
  }

  /**
   * Stores an audit entry for the binding: the command text redacted with the binding's rules, free texts bounded.
   * Never throws: a store failure is logged and the member's action goes on.
   */
  async audit(live: LiveBinding, entry: AuditEntry): Promise<void> {
    const rules = compileRedaction(live.binding.redaction);
    const clean: AuditEntry = {
      ...entry,
      actorName: entry.actorName.slice(0, 100),
      ...(entry.command !== undefined ? { command: redactLine(entry.command, rules).slice(0, 1000) } : {}),
      ...(entry.detail !== undefined ? { detail: redactLine(entry.detail, rules).slice(0, 500) } : {}),
    };
    try {
      await this.store.audit.append(live.binding.guildId, live.binding.id, clean);
    } catch (err) {
      this.logger.warn({ err, binding: live.binding.id, action: entry.action }, 'audit entry could not be stored');
    }
  }

  /** The binding's audit trail, newest first. */
  auditTrail(live: LiveBinding, limit: number): Promise<AuditEntry[]> {
    return this.store.audit.list(live.binding.guildId, live.binding.id, limit);
  }

  private attach(entries: Map<string, LiveEntry>, binding: Binding): LiveEntry {
    const existing = entries.get(binding.id);
    if (existing) return existing;
    const subscription = this.hub.subscribe({
      panelUrl: binding.panelUrl,
      serverId: binding.serverId,
      apiKey: binding.apiKey,
    });
    const connection = subscription.connection;
    const entry: LiveEntry = { binding, connection, subscription, detach: () => undefined };
    const onState = (state: ConnectionState) => {
      if (state.kind === 'retrying') entry.lastError = state.reason;
      else if (state.kind === 'stopped') entry.lastError = state.reason;
      else if (state.kind === 'ready') entry.lastError = undefined;
    };
    connection.on('state', onState);
    const unwatch = this.stats.watch(connection);
    entry.detach = () => {
      connection.off('state', onState);
      unwatch();
      this.stats.forget(binding.id);
    };
    onState(connection.connectionState);
    entries.set(binding.id, entry);
    this.emit('activated', entry);
    return entry;
  }

  private detach(entry: LiveEntry): void {
    entry.detach();
    this.emit('deactivated', entry);
    entry.subscription.release();
  }
}
