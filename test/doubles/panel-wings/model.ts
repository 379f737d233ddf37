// Panel-side records: users, API keys, servers (with their simulated Wings process) and the handle tests get.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { randomAlnum } from './jwt.ts';
import type { PowerAction, ServerBehaviour, ServerSim, ServerState } from './server-sim.ts';

export const ADMIN_PERMISSIONS = ['*', 'admin.websocket.errors', 'admin.websocket.install', 'admin.websocket.transfer'];

export interface DoubleUser {
  id: number;
  uuid: string;
  username: string;
  email: string;
  admin: boolean;
}

export interface ApiKeyRecord {
  identifier: string;
  secret: string;
  type: 'client' | 'application';
  userId: number;
  allowedIps: string[];
}

export interface AddServerOptions extends ServerBehaviour {
  name?: string;
  identifier?: string;
  uuid?: string;
  description?: string;
  /** Initial state: 'running' boots the process immediately (through starting, done line after startDelayMs). */
  state?: 'offline' | 'running';
  suspended?: boolean;
  installing?: boolean;
  transferring?: boolean;
  /** Owner user (default: none until a key is created with `['*']` for it). */
  owner?: DoubleUser;
}

export interface AddApiKeyOptions {
  /** Existing user; default a fresh non-admin user. */
  user?: DoubleUser;
  /** Make the fresh user a root admin (ignored when `user` is given). */
  admin?: boolean;
  /** Access to grant the key's user: `['*']` = owner, otherwise subuser with those permissions. Keys: identifier or uuid. */
  servers?: Record<string, readonly string[]>;
  type?: 'client' | 'application';
  allowedIps?: string[];
}

export interface ServerHooks {
  dropSockets(uuid: string): void;
  remove(record: ServerRecord): void;
}

export class ServerRecord {
  readonly owners = new Set<number>();
  readonly subusers = new Map<number, string[]>();
  nodeMaintenance = false;

  constructor(
    readonly sim: ServerSim,
    readonly identifier: string,
    readonly internalId: number,
    public name: string,
    public description: string,
  ) {}

  get uuid(): string {
    return this.sim.uuid;
  }

  /** The panel's GetUserPermissionsService; undefined = the user has no access at all. */
  permissionsFor(user: DoubleUser): string[] | undefined {
    if (user.admin) return [...ADMIN_PERMISSIONS];
    if (this.owners.has(user.id)) return ['*'];
    const sub = this.subusers.get(user.id);
    return sub ? [...sub] : undefined;
  }

  isListedFor(user: DoubleUser): boolean {
    return this.owners.has(user.id) || this.subusers.has(user.id);
  }
}

/** What tests hold for each server. */
export class ServerHandle {
  constructor(
    private readonly record: ServerRecord,
    private readonly hooks: ServerHooks,
  ) {}

  get identifier(): string {
    return this.record.identifier;
  }
  get uuid(): string {
    return this.record.uuid;
  }
  get internalId(): number {
    return this.record.internalId;
  }
  get name(): string {
    return this.record.name;
  }
  get state(): ServerState {
    return this.record.sim.state;
  }
  get containerLog(): readonly string[] {
    return this.record.sim.containerLog;
  }
  get events(): EventEmitter {
    return this.record.sim.events;
  }
  get suspended(): boolean {
    return this.record.sim.suspended;
  }
  get sim(): ServerSim {
    return this.record.sim;
  }

  emitConsole(lines: string | readonly string[]): void {
    this.record.sim.emitConsole(lines);
  }
  crash(options?: { exitCode?: number; oom?: boolean }): void {
    this.record.sim.crash(options);
  }
  /** Runs a power action as Wings would for a panel request (errors are thrown, not sent anywhere). */
  power(action: PowerAction): Promise<void> {
    return this.record.sim.power(action, 'double');
  }
  /** Panel suspension: Wings drops every socket (1006) and kills the process. */
  suspend(): void {
    this.record.sim.suspended = true;
    this.hooks.dropSockets(this.uuid);
    this.record.sim.terminate();
  }
  unsuspend(): void {
    this.record.sim.suspended = false;
  }
  setInstalling(on: boolean): void {
    this.record.sim.installing = on;
  }
  setTransferring(on: boolean): void {
    this.record.sim.transferring = on;
  }
  setNodeMaintenance(on: boolean): void {
    this.record.nodeMaintenance = on;
  }
  setStats(stats: Partial<ServerSim['stats']>): void {
    Object.assign(this.record.sim.stats, stats);
  }
  /** Publishes an arbitrary Wings event to the authenticated sockets (install output, backup completed, …). */
  publishEvent(event: string, args: string[]): void {
    this.record.sim.publishEvent(event, args);
  }
  addSubuser(user: DoubleUser, permissions: readonly string[]): void {
    this.record.subusers.set(user.id, [...permissions]);
  }
  /** Deletion: `deleted` ["null"] is published, then every socket is dropped and the server is gone (404). */
  remove(): void {
    this.hooks.remove(this.record);
  }
}

export class Registry {
  readonly users = new Map<number, DoubleUser>();
  readonly keys = new Map<string, ApiKeyRecord>();
  readonly servers = new Map<string, ServerRecord>(); // by uuid
  private nextUserId = 1;
  private nextServerId = 1;

  addUser(options: { username?: string; email?: string; admin?: boolean } = {}): DoubleUser {
    const id = this.nextUserId++;
    const user: DoubleUser = {
      id,
      uuid: randomUUID(),
      username: options.username ?? `user${id}`,
      email: options.email ?? `user${id}@example.com`,
      admin: options.admin ?? false,
    };
    this.users.set(id, user);
    return user;
  }

  nextInternalId(): number {
    return this.nextServerId++;
  }

  /** `{server}` route binding: 8-char identifier or full uuid. */
  findServer(id: string): ServerRecord | undefined {
    const byUuid = this.servers.get(id);
    if (byUuid) return byUuid;
    for (const s of this.servers.values()) if (s.identifier === id) return s;
    return undefined;
  }

  addApiKey(prefix: string, options: AddApiKeyOptions): string {
    const user = options.user ?? this.addUser({ admin: options.admin ?? false });
    for (const [id, perms] of Object.entries(options.servers ?? {})) {
      const server = this.findServer(id);
      if (!server) throw new Error(`addApiKey: unknown server ${id}`);
      if (perms.length === 1 && perms[0] === '*') server.owners.add(user.id);
      else server.subusers.set(user.id, [...perms]);
    }
    const identifier = `${prefix}${randomAlnum(11)}`;
    const secret = randomAlnum(32);
    this.keys.set(identifier, {
      identifier,
      secret,
      type: options.type ?? 'client',
      userId: user.id,
      allowedIps: options.allowedIps ?? [],
    });
    return `${identifier}${secret}`;
  }

  /** Sanctum lookup by the 16-char identifier + 32-char secret; undefined = 401. */
  findKey(bearer: string): ApiKeyRecord | undefined {
    if (bearer.length !== 48) return undefined;
    const key = this.keys.get(bearer.slice(0, 16));
    return key && key.secret === bearer.slice(16) ? key : undefined;
  }
}
