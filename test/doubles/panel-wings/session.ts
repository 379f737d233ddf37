// One Wings websocket connection (pterodactyl/wings router/websocket/websocket.go + listeners.go, ≥ 1.12 limiter).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock } from './clock.ts';
import { decodeInbound, encodeOutbound, type InboundMessage } from './envelope.ts';
import { expValid, JWT_EXP_INVALID, tokenHasPermission, verifyWebsocketToken, type WebsocketPayload } from './jwt.ts';
import { TokenBucket } from './limiter.ts';
import type { Metrics } from './metrics.ts';
import type { ServerRecord } from './model.ts';
import { ERR_LOCKED, PowerError } from './server-sim.ts';

export const JWT_NOT_PRESENT = 'jwt: no jwt present';
export const JWT_NO_CONNECT = 'jwt: missing connect permission';
export const JWT_UUID_MISMATCH = 'jwt: server uuid mismatch';
export const JWT_DENYLIST = 'jwt: created too far in past (denylist)';
export const GENERIC_ERROR = 'an unexpected error was encountered while handling this request';
const JWT_ERRORS = new Set([JWT_NOT_PRESENT, JWT_NO_CONNECT, JWT_UUID_MISMATCH, JWT_DENYLIST, JWT_EXP_INVALID]);
const POWER_PERMISSION: Record<string, string> = {
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
  kill: 'control.stop',
};

export interface SessionHost {
  clock: Clock;
  metrics: Metrics;
  daemonToken: string;
  limits: boolean;
  limitRateScale: number;
  requireScope: boolean;
  expiryTickMs: number;
  expiringWindowSec: number;
  logCount: number;
  inboundJitterMs: number;
  refuseAuth: boolean;
  isDenylisted(payload: WebsocketPayload): boolean;
}

class HandlerError extends Error {}

let nextSocketId = 1;

export class Session {
  readonly id = nextSocketId++;
  jwt: WebsocketPayload | undefined;
  private listener: ((event: string, args: string[]) => void) | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly globalBucket: TokenBucket;
  private globalThrottled = false;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly throttled = new Map<string, boolean>();

  constructor(
    private readonly host: SessionHost,
    readonly record: ServerRecord,
    readonly ws: WebSocket,
  ) {
    const now = () => host.clock.now();
    this.globalBucket = new TokenBucket(10, 200 * host.limitRateScale, now);
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', () => undefined);
  }

  private get uuid(): string {
    return this.record.uuid;
  }

  /** Wings' unsafeSendJson: no token check. */
  sendRaw(event: string, args?: readonly string[]): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeOutbound(event, args));
    this.host.metrics.recordOutbound(this.uuid, event);
  }

  /** Wings' SendJson: an invalid token REPLACES the event with a bare jwt error; permission filters apply. */
  sendJson(event: string, args?: readonly string[]): void {
    const invalid = this.tokenInvalidReason();
    if (invalid) {
      this.sendRaw('jwt error', [invalid]);
      return;
    }
    const perms = this.jwt?.permissions ?? [];
    if (event === 'install output' && !tokenHasPermission(perms, 'admin.websocket.install')) return;
    if (event.startsWith('backup completed') && !tokenHasPermission(perms, 'backup.read')) return;
    if (event === 'transfer logs' && !tokenHasPermission(perms, 'admin.websocket.transfer')) return;
    this.sendRaw(event, args);
  }

  /** Wings' TokenValid. */
  tokenInvalidReason(): string | undefined {
    const j = this.jwt;
    if (!j) return JWT_NOT_PRESENT;
    if (!expValid(j, this.host.clock.nowSec())) return JWT_EXP_INVALID;
    if (this.host.isDenylisted(j)) return JWT_DENYLIST;
    if (!tokenHasPermission(j.permissions, 'websocket.connect')) return JWT_NO_CONNECT;
    if (j.serverUuid !== this.uuid) return JWT_UUID_MISMATCH;
    return undefined;
  }

  /** The read loop: global limiter, frame type/size, JSON decode, per-event limiter, then async handling. */
  private onFrame(data: Buffer, isBinary: boolean): void {
    const host = this.host;
    if (host.limits) {
      if (!this.globalBucket.allow()) {
        if (!this.globalThrottled) {
          this.globalThrottled = true;
          this.sendRaw('throttled', ['global']);
        }
        return;
      }
      this.globalThrottled = false;
      if (isBinary || data.length > 32_768) return;
    }
    const msg = decodeInbound(data.toString('utf8'));
    if (!msg) return;
    host.metrics.recordInbound(this.uuid, {
      socketId: this.id,
      event: msg.event,
      args: msg.args,
      at: host.clock.now(),
    });
    this.record.sim.events.emit('frame', msg, this.id);
    const delay = host.inboundJitterMs > 0 ? Math.floor(Math.random() * host.inboundJitterMs) : 0;
    const run = () =>
      this.handle(msg).catch((err: unknown) => {
        this.sendError(err instanceof Error ? err : new Error(String(err)));
      });
    if (delay > 0) setTimeout(run, delay);
    else setImmediate(run);
  }

  private isThrottled(event: string): boolean {
    const name = event === 'auth' || event === 'send logs' || event === 'send command' ? event : '_default';
    let bucket = this.buckets.get(name);
    if (!bucket) {
      const scale = this.host.limitRateScale;
      bucket =
        name === 'auth' || name === 'send logs'
          ? new TokenBucket(2, 5000 * scale, () => this.host.clock.now())
          : new TokenBucket(name === 'send command' ? 10 : 4, 1000 * scale, () => this.host.clock.now());
      this.buckets.set(name, bucket);
    }
    if (bucket.allow()) {
      this.throttled.set(event, false);
      return false;
    }
    if (!this.throttled.get(event)) {
      this.throttled.set(event, true);
      this.sendRaw('throttled', [event]);
    }
    return true;
  }

  /** Wings' HandleInbound. */
  private async handle(msg: InboundMessage): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const sim = this.record.sim;
    if (this.host.limits) {
      if (sim.suspended) {
        this.ws.terminate();
        return;
      }
      if (this.isThrottled(msg.event)) return;
    }
    if (msg.event !== 'auth') {
      const invalid = this.tokenInvalidReason();
      if (invalid) {
        this.sendRaw('jwt error', [invalid]);
        return;
      }
    }
    const perms = this.jwt?.permissions ?? [];
    switch (msg.event) {
      case 'auth':
        this.authenticate(msg.args.join(''));
        return;
      case 'set state': {
        const action = msg.args.join('');
        const permission = POWER_PERMISSION[action];
        if (permission && !tokenHasPermission(perms, permission)) return;
        try {
          await sim.power(action, 'ws');
        } catch (err) {
          if (err instanceof PowerError && err.lockBusy) {
            this.sendJson('daemon error', [`Error Event [${randomUUID()}]: ${ERR_LOCKED}`]);
            return;
          }
          throw err;
        }
        return;
      }
      case 'send logs': {
        if (!sim.containerRunning) return;
        const lines = sim.containerLog.slice(-this.host.logCount);
        for (const line of lines) this.sendJson('console output', [line]);
        return;
      }
      case 'send stats':
        this.sendJson('stats', [sim.statsJson()]);
        return;
      case 'send command':
        if (!tokenHasPermission(perms, 'control.console')) return;
        sim.sendCommand(msg.args.join(''), 'ws');
        return;
      default:
        return;
    }
  }

  /** NewTokenPayload + the auth case of HandleInbound. Throws the error SendErrorJson turns into a reply. */
  private authenticate(token: string): void {
    const sim = this.record.sim;
    if (this.host.refuseAuth) throw new HandlerError('wings refused the authentication (fault injection)');
    const parsed = verifyWebsocketToken(token, this.host.daemonToken, this.host.clock.nowSec());
    if (!parsed.ok) {
      sim.events.emit('auth', { socketId: this.id, ok: false, error: parsed.error });
      throw new HandlerError(parsed.error);
    }
    const payload = parsed.payload;
    let failure: string | undefined;
    if (this.host.isDenylisted(payload)) failure = JWT_DENYLIST;
    else if (!tokenHasPermission(payload.permissions, 'websocket.connect')) failure = JWT_NO_CONNECT;
    else if (this.host.requireScope && !payload.scope.includes('websocket')) failure = JWT_NO_CONNECT;
    if (failure) {
      sim.events.emit('auth', { socketId: this.id, ok: false, error: failure });
      throw new HandlerError(failure);
    }
    const firstAuth = this.jwt === undefined;
    this.jwt = payload;
    this.sendRaw('auth success');
    sim.events.emit('auth', { socketId: this.id, ok: true, firstAuth, userUuid: payload.userUuid });
    if (!firstAuth) return;
    this.listener = (event, args) => this.sendJson(event, args);
    sim.bus.on('message', this.listener);
    this.expiryTimer = setInterval(() => this.expiryTick(), this.host.expiryTickMs);
    this.sendJson('status', [sim.state]);
    if (sim.state === 'offline' && !sim.installing && !sim.transferring) this.sendJson('stats', [sim.statsJson()]);
  }

  private expiryTick(): void {
    const exp = this.jwt?.exp;
    if (exp === undefined) return;
    const nowSec = this.host.clock.nowSec();
    if (exp - nowSec <= 0) this.sendJson('token expired');
    else if (exp - this.host.expiringWindowSec <= nowSec) this.sendJson('token expiring');
  }

  /** Wings' SendErrorJson. */
  private sendError(err: Error): void {
    const isJwt = JWT_ERRORS.has(err.message);
    const showReal =
      isJwt || (this.jwt !== undefined && tokenHasPermission(this.jwt.permissions, 'admin.websocket.errors'));
    const text = showReal ? err.message : GENERIC_ERROR;
    this.sendRaw(isJwt ? 'jwt error' : 'daemon error', [`Error Event [${randomUUID()}]: ${text}`]);
  }

  dispose(): void {
    if (this.listener) this.record.sim.bus.off('message', this.listener);
    this.listener = undefined;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
  }
}
