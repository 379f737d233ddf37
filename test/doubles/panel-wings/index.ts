/**
 * Test double of the Pterodactyl/Pelican panel client API + the Wings websocket, on ONE http server bound to
 * 127.0.0.1:0. It follows /work/shared/protocol/wings.md (§ numbers below) and shares no code with src/.
 *
 * ```ts
 * const double = await startPanelWingsDouble({ tokenLifetimeSec: 600, expiryTickMs: 30_000 });
 * const server = double.addServer({ name: 'Survival' });             // ServerHandle, state 'offline'
 * const key = double.addApiKey({ servers: { [server.identifier]: ['*'] } }); // 48-char 'ptlc_…' (owner)
 * // bot side: panelUrl = double.panelUrl; Origin header for the socket = double.panelUrl
 * await double.close();
 * ```
 *
 * OPTIONS (all optional; defaults = real Wings ≥ 1.12 / panel values):
 *   flavour 'pterodactyl'|'pelican' ('pterodactyl') — pelican: pacc_/papp_ keys, sha256 jti, no user_id claim,
 *     "[pelican Daemon]:" prefix, disk_io in stats, scope required, client rate 256/min.
 *   tokenLifetimeSec 600 · expiryTickMs 30 000 (per-socket expiry ticker, §3.4) · expiringWindowSec 60
 *   statsIntervalMs 1000 (stats while starting/running/stopping, §7.2)
 *   consoleThrottle { lines: 2000, intervalMs: 100 } (§8.2) · logCount 150 (`send logs`, §8.5)
 *   limits true (Wings ≥ 1.12 §7.4: 4096-byte frames → 1009, binary ignored, token buckets, 30-socket cap, 4409)
 *   limitRateScale 1 — multiplies every inbound-limiter refill interval (0.01 = 100× faster refill)
 *   maxSocketsPerServer 30 · maxFrameBytes 4096
 *   clientRatePerMinute 720 (pelican 256) · wsTokenPerMinute 5 (0 = unlimited) · rateWindowMs 60 000 (both windows)
 *   resourcesCacheMs 20 000 (the panel caches GET …/resources per server)
 *   allowedOrigins [] (Wings allowed_origins; '*' also admits a missing Origin) · requireScope (true for pelican)
 *   crashTimeoutSec 60 · daemonToken (random 64 chars; the JWT HMAC key) · now () => number (clock source)
 *   inboundJitterMs 0 — random delay per inbound message, to shake out order assumptions (Wings: goroutine each)
 *
 * DOUBLE:
 *   panelUrl 'http://127.0.0.1:PORT' — panel base AND the only Origin Wings accepts; port; daemonToken; clock
 *   addUser({ username?, email?, admin? }) → DoubleUser { id, uuid, username, email, admin }
 *   addServer(AddServerOptions) → ServerHandle. Options: name, identifier (8 chars), uuid, description,
 *     state 'offline'|'running', suspended, installing, transferring, owner (DoubleUser), memoryLimitMb 1024,
 *     diskLimitMb 0, startDelayMs 50 (time until the game prints doneLine), doneLine 'Done (0.050s)! For help, type
 *     "help"' (null = never; stays starting until a line containing donePattern is emitted), donePattern 'Done (',
 *     stopCommand 'stop', stopDelayMs 50 (process exit after stop; null = hangs until kill / stopTimeoutMs 600 000),
 *     onCommand(cmd, sim) (game reaction; default emits `> cmd` then `Unknown command: cmd` / `Stopping server...`),
 *     crashDetection true, detectCleanExitAsCrash true.
 *   addApiKey({ user?, admin?, servers?: { [identifierOrUuid]: ['*'] | perms[] }, type 'client'|'application',
 *     allowedIps? }) → plaintext key. ['*'] makes the user an owner, anything else a subuser with exactly those
 *     permissions (include 'websocket.connect'!). admin: root admin (sees every server, admin.* permissions).
 *   server(idOrUuid) → ServerHandle | undefined · servers() → ServerHandle[]
 *   setTokenLifetimeSec(n) — for tokens minted from now on
 *   close() — drops sockets, stops timers, closes the http server.
 *
 * SERVER HANDLE: identifier, uuid, internalId, name, state, containerLog (game lines since last start), suspended,
 *   events (EventEmitter): 'state'(next, prev) · 'console'(line, isDaemon) · 'command'(cmd, via 'ws'|'rest') ·
 *     'power'(action, via) · 'auth'({ socketId, ok, firstAuth?, error?, userUuid? }) · 'socket'('open'|'close', id,
 *     code?) · 'frame'(InboundMessage, socketId) · 'crash'(exitCode, oom)
 *   emitConsole(lines: string | string[]) — game output (throws when offline); throttled per §8.2, logged for replay
 *   crash({ exitCode=1, oom=false }) — running→offline + daemon crash lines, auto-restart unless < crashTimeoutSec
 *   power(action) — as a panel request would (returns the promise; errors are thrown)
 *   suspend() (sockets dropped → 1006, process killed; new sockets get 4409) · unsuspend()
 *   setInstalling(on) · setTransferring(on) · setNodeMaintenance(on) · setStats({ memoryBytes, cpuAbsolute, … })
 *   publishEvent(event, args) — any Wings event (install output, backup completed, …) through the socket filters
 *   addSubuser(user, perms) · remove() — publishes `deleted` ["null"], drops sockets, then 404 everywhere
 *   sim — the underlying ServerSim (daemonLine(text) formats a daemon line exactly as §8.4)
 *
 * FAULTS (double.faults):
 *   dropSockets(uuid?) — terminate (client sees 1006)
 *   restartWings() — drops all sockets; boot time = now, so every older token is denylisted. The clock then jumps
 *     to the next whole second so a token minted after the restart is valid (iat is whole seconds).
 *   denyUserTokens(serverUuid, userUuid) — panel's ws/deny (per-jti; sockets stay open, old tokens fail)
 *   deauthorizeUser(serverUuid, userUuid) — Wings ≥ 1.12 deauthorize-user: deny + drop that server's sockets
 *   refuseAuth(on) — every auth answers `daemon error` (generic text)
 *   panelFailures({ status, count, retryAfterSec?, body? }) — next `count` panel requests fail (string body = HTML)
 *   panelDelay(ms) — delay every panel response · nodeDown(on) — 504 on power/command/resources, upgrades destroyed
 *   setSuspended(idOrUuid, on)
 *
 * METRICS (double.metrics): requests({ route?, key?, status? }) (route e.g.
 *   'GET /api/client/servers/{server}/websocket'; key = full key or its 16-char identifier) · requestLog ·
 *   wsTokenRequests(serverId) · authMessages(uuid) · openSockets(uuid) · received(uuid) → [{ socketId, event, args,
 *   at }] (auth args masked) · sent(uuid) → { total, byEvent } · sentConsoleLines(uuid) · upgrades → [{ path, uuid,
 *   accepted, status, reason, at }]
 *
 * NOT MODELLED: per-socket 8-line buffer loss (§8.3), install/transfer/backup flows (publishEvent covers the
 * events), permessage-deflate (not negotiated: frames over 4096 bytes always close 1009), 2FA enforcement,
 * the newest develop's auth timeout / authenticated-only cap.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock } from './clock.ts';
import { type Flavour, randomAlnum } from './jwt.ts';
import { Metrics } from './metrics.ts';
import {
  type AddApiKeyOptions,
  type AddServerOptions,
  type DoubleUser,
  Registry,
  ServerHandle,
  ServerRecord,
} from './model.ts';
import { PanelApi, type PanelFailure } from './panel-api.ts';
import { ServerSim } from './server-sim.ts';
import { WingsNode } from './wings-socket.ts';

export type { InboundMessage } from './envelope.ts';
export { decodeJwtHeader, decodeJwtPayload } from './jwt.ts';
export type { FrameRecord, RequestRecord, UpgradeRecord } from './metrics.ts';
export type { AddApiKeyOptions, AddServerOptions, DoubleUser } from './model.ts';
export { ServerHandle } from './model.ts';
export type { PowerAction, ServerState } from './server-sim.ts';

export interface PanelWingsDoubleOptions {
  flavour?: Flavour;
  tokenLifetimeSec?: number;
  expiryTickMs?: number;
  expiringWindowSec?: number;
  statsIntervalMs?: number;
  consoleThrottle?: { lines: number; intervalMs: number };
  logCount?: number;
  limits?: boolean;
  limitRateScale?: number;
  maxSocketsPerServer?: number;
  maxFrameBytes?: number;
  clientRatePerMinute?: number;
  wsTokenPerMinute?: number;
  rateWindowMs?: number;
  resourcesCacheMs?: number;
  allowedOrigins?: string[];
  requireScope?: boolean;
  crashTimeoutSec?: number;
  daemonToken?: string;
  now?: () => number;
  inboundJitterMs?: number;
}

export interface PanelWingsDouble {
  readonly panelUrl: string;
  readonly port: number;
  readonly daemonToken: string;
  readonly clock: Clock;
  addUser(options?: { username?: string; email?: string; admin?: boolean }): DoubleUser;
  addServer(options?: AddServerOptions): ServerHandle;
  addApiKey(options?: AddApiKeyOptions): string;
  server(idOrUuid: string): ServerHandle | undefined;
  servers(): ServerHandle[];
  setTokenLifetimeSec(seconds: number): void;
  readonly faults: {
    dropSockets(uuid?: string): void;
    restartWings(): void;
    denyUserTokens(serverUuid: string, userUuid: string): void;
    deauthorizeUser(serverUuid: string, userUuid: string): void;
    refuseAuth(on: boolean): void;
    panelFailures(failure: PanelFailure): void;
    panelDelay(ms: number): void;
    nodeDown(on: boolean): void;
    setSuspended(idOrUuid: string, on: boolean): void;
  };
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export async function startPanelWingsDouble(options: PanelWingsDoubleOptions = {}): Promise<PanelWingsDouble> {
  const flavour = options.flavour ?? 'pterodactyl';
  const clock = new Clock(options.now);
  const daemonToken = options.daemonToken ?? randomAlnum(64);
  const registry = new Registry();
  const handles = new Map<string, ServerHandle>();
  let panelUrl = '';
  let tokenLifetimeSec = options.tokenLifetimeSec ?? 600;
  const limits = options.limits ?? true;
  let wings: WingsNode | undefined;
  const metrics = new Metrics(
    (uuid) => wings?.openSockets(uuid) ?? 0,
    (id) => registry.findServer(id)?.uuid,
  );
  wings = new WingsNode({
    clock,
    metrics,
    daemonToken,
    limits,
    limitRateScale: options.limitRateScale ?? 1,
    requireScope: options.requireScope ?? flavour === 'pelican',
    expiryTickMs: options.expiryTickMs ?? 30_000,
    expiringWindowSec: options.expiringWindowSec ?? 60,
    logCount: options.logCount ?? 150,
    inboundJitterMs: options.inboundJitterMs ?? 0,
    get panelUrl() {
      return panelUrl;
    },
    allowedOrigins: options.allowedOrigins ?? [],
    maxSocketsPerServer: options.maxSocketsPerServer ?? 30,
    maxFrameBytes: options.maxFrameBytes ?? 4096,
    findServer: (uuid) => registry.servers.get(uuid),
  });
  const node = wings;
  const panel = new PanelApi({
    clock,
    flavour,
    registry,
    wings: node,
    metrics,
    daemonToken,
    clientRatePerMinute: options.clientRatePerMinute ?? (flavour === 'pelican' ? 256 : 720),
    wsTokenPerMinute: options.wsTokenPerMinute ?? 5,
    rateWindowMs: options.rateWindowMs ?? 60_000,
    resourcesCacheMs: options.resourcesCacheMs ?? 20_000,
    tokenLifetimeSec: () => tokenLifetimeSec,
    panelUrl: () => panelUrl,
  });
  const http = createServer((req, res) => {
    panel.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  http.on('upgrade', (req, socket, head) => node.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  panelUrl = `http://127.0.0.1:${port}`;

  const removeServer = (record: ServerRecord) => {
    record.sim.publishEvent('deleted', ['null']);
    record.sim.deleted = true;
    node.dropSockets(record.uuid);
    record.sim.dispose();
    registry.servers.delete(record.uuid);
    handles.delete(record.uuid);
  };
  const hooks = { dropSockets: (uuid: string) => node.dropSockets(uuid), remove: removeServer };
  const simEnv = {
    clock,
    flavour,
    statsIntervalMs: options.statsIntervalMs ?? 1000,
    throttleLines: options.consoleThrottle?.lines ?? 2000,
    throttleIntervalMs: options.consoleThrottle?.intervalMs ?? 100,
    crashTimeoutSec: options.crashTimeoutSec ?? 60,
  };
  const keyPrefix = (type: 'client' | 'application') =>
    flavour === 'pelican' ? (type === 'client' ? 'pacc_' : 'papp_') : type === 'client' ? 'ptlc_' : 'ptla_';
  const find = (id: string) => {
    const record = registry.findServer(id);
    return record ? handles.get(record.uuid) : undefined;
  };

  return {
    panelUrl,
    port,
    daemonToken,
    clock,
    metrics,
    addUser: (o) => registry.addUser(o),
    addServer(o = {}) {
      const uuid = o.uuid ?? randomUUID();
      const sim = new ServerSim(simEnv, uuid, o);
      sim.suspended = o.suspended ?? false;
      sim.installing = o.installing ?? false;
      sim.transferring = o.transferring ?? false;
      const internalId = registry.nextInternalId();
      const identifier = o.identifier ?? uuid.slice(0, 8);
      const record = new ServerRecord(
        sim,
        identifier,
        internalId,
        o.name ?? `Server ${internalId}`,
        o.description ?? '',
      );
      if (o.owner) record.owners.add(o.owner.id);
      registry.servers.set(uuid, record);
      const handle = new ServerHandle(record, hooks);
      handles.set(uuid, handle);
      if (o.state === 'running') sim.power('start', 'double').catch(() => undefined);
      return handle;
    },
    addApiKey: (o = {}) => registry.addApiKey(keyPrefix(o.type ?? 'client'), o),
    server: find,
    servers: () => [...handles.values()],
    setTokenLifetimeSec(seconds) {
      tokenLifetimeSec = seconds;
    },
    faults: {
      dropSockets: (uuid) => node.dropSockets(uuid),
      restartWings: () => node.restart(),
      denyUserTokens(serverUuid, userUuid) {
        const user = [...registry.users.values()].find((u) => u.uuid === userUuid);
        if (!user) throw new Error(`denyUserTokens: unknown user ${userUuid}`);
        const algorithm = flavour === 'pelican' ? 'sha256' : 'md5';
        const jti = createHash(algorithm).update(`${user.id}${serverUuid}`).digest('hex');
        node.denyJti(jti);
      },
      deauthorizeUser: (serverUuid, userUuid) => node.deauthorizeUser(serverUuid, userUuid),
      refuseAuth(on) {
        node.refuseAuth = on;
      },
      panelFailures(failure) {
        panel.failure = { ...failure };
      },
      panelDelay(ms) {
        panel.delayMs = ms;
      },
      nodeDown(on) {
        node.nodeDown = on;
        if (on) node.dropSockets();
      },
      setSuspended(id, on) {
        const h = find(id);
        if (!h) throw new Error(`setSuspended: unknown server ${id}`);
        if (on) h.suspend();
        else h.unsuspend();
      },
    },
    async close() {
      node.close();
      for (const h of handles.values()) h.sim.dispose();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
