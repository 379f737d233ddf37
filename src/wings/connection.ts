/**
 * One Wings websocket per server (shared/protocol/wings.md §1–§7, §12). Lifecycle:
 *
 *   idle ─start─▶ connecting ─auth success─▶ ready ─drop─▶ retrying ─timer─▶ connecting …
 *                     │ fatal (401/403/404, 4400/4409, upgrade 403/404, fatal jwt error, deleted)
 *                     ▼
 *                  stopped (with a reason the bot can show)
 *
 * Every attempt asks the panel for server details (permissions) and fresh credentials, opens the socket with
 * `Origin: <panel URL>`, sends `auth` first and nothing else until `auth success`. Tokens are refreshed on the same
 * socket (token-refresh.ts); sends pass client-side rate limits (outbound-queue.ts); inbound frames are dispatched
 * by inbound.ts.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import { FORBIDDEN_ADDRESS, guardedLookup, type LookupFunction } from '../panel/dns-guard.ts';
import { Backoff, DEFAULT_BACKOFF } from './backoff.ts';
import { type Clock, systemClock, TimerSlot } from './clock.ts';
import { asPanelFailure, describeError, fatalPanelFailure, WingsError } from './errors.ts';
import { checkCommandText, checkPowerAction, requirePermission } from './guards.ts';
import { dispatchFrame, type InboundHost, rawLength, rawText } from './inbound.ts';
import { LogLimiter } from './log-limiter.ts';
import { OutboundQueue } from './outbound-queue.ts';
import {
  FATAL_CLOSE_CODES,
  MAX_INBOUND_FRAME_BYTES,
  PERMISSION,
  POWER_PERMISSION,
  type PowerAction,
  type ServerState,
  type WingsStats,
} from './protocol.ts';
import { DEFAULT_WS_TOKEN_LIMIT, SlidingWindowLimiter } from './token-limit.ts';
import { TokenRefresher } from './token-refresh.ts';
import type {
  ConnectionState,
  StopCode,
  WebsocketCredentials,
  WingsConnectionEvents,
  WingsConnectionOptions,
} from './types.ts';

export { WingsError, type WingsErrorCode } from './errors.ts';
export type {
  ConnectionState,
  CredentialSource,
  StopCode,
  WingsConnectionEvents,
  WingsConnectionOptions,
} from './types.ts';

const NOT_READY = 'Not connected to the server right now; try again in a moment.';
const STOPPED = 'The console connection to this server has stopped.';

export class WingsConnection extends EventEmitter<WingsConnectionEvents> {
  readonly serverId: string;
  private readonly opts: WingsConnectionOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly limiter: SlidingWindowLimiter;
  private readonly queue: OutboundQueue;
  private readonly refresher: TokenRefresher;
  private readonly retryTimer: TimerSlot;
  private readonly authTimer: TimerSlot;
  private readonly pingTimer: TimerSlot;
  private readonly frameLog: LogLimiter;
  private readonly jwtLog: LogLimiter;
  private stateValue: ConnectionState = { kind: 'idle' };
  private generation = 0;
  private attempt = 0;
  private ws: WebSocket | undefined;
  private socketAuthed = false;
  /** Set when the token went invalid on the open socket; the next refresh announces a possible gap in output. */
  private outputGap = false;
  private missedPongs = 0;
  private permissionList: string[] = [];
  private permissionsKnown = false;
  private serverStateValue: ServerState | undefined;
  private lastStatsValue: WingsStats | undefined;
  private upgrades = 0;

  constructor(options: WingsConnectionOptions) {
    super();
    this.opts = options;
    this.serverId = options.serverId;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'wings', serverId: options.serverId });
    const random = options.random ?? Math.random;
    const backoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.backoff = new Backoff(backoffOptions, random);
    this.limiter =
      options.tokenLimiter ?? new SlidingWindowLimiter(options.wsTokenLimit ?? DEFAULT_WS_TOKEN_LIMIT, this.clock);
    this.queue = new OutboundQueue(this.clock, (frame) => this.write(frame), options.limits);
    this.retryTimer = new TimerSlot(this.clock);
    this.authTimer = new TimerSlot(this.clock);
    this.pingTimer = new TimerSlot(this.clock);
    this.frameLog = new LogLimiter(this.clock);
    this.jwtLog = new LogLimiter(this.clock);
    this.refresher = new TokenRefresher({
      clock: this.clock,
      limiter: this.limiter,
      backoff: new Backoff(backoffOptions, random),
      leadMs: options.refreshLeadMs ?? 60_000,
      staleGraceMs: options.staleComplaintGraceMs ?? 1000,
      fetchToken: async () => (await this.fetchCredentials()).token,
      sendAuth: (token) => this.sendAuth(token),
      onFatal: (code, reason) => this.stop(code, reason),
      onEvent: (event, fields) => this.log.debug(fields, `token ${event}`),
    });
  }

  get connectionState(): ConnectionState {
    return this.stateValue;
  }

  /** Latest of `status` and `stats.state` (status events can be lost under load, §8.3). */
  get serverState(): ServerState | undefined {
    return this.serverStateValue;
  }

  get lastStats(): WingsStats | undefined {
    return this.lastStatsValue;
  }

  get permissions(): string[] {
    return [...this.permissionList];
  }

  /** Sockets opened so far (successful upgrades); a refresh never adds one. */
  get socketsOpened(): number {
    return this.upgrades;
  }

  /** Token refreshes acknowledged by Wings on the current socket. */
  get refreshes(): number {
    return this.refresher.refreshes;
  }

  /** Starts connecting; also restarts a stopped connection (fresh backoff). No-op while running. */
  start(): void {
    if (this.stateValue.kind !== 'idle' && this.stateValue.kind !== 'stopped') return;
    this.attempt = 0;
    this.backoff.reset();
    this.beginAttempt();
  }

  /** Stops for good (reason 'closed') and resolves once the socket is closed. */
  async close(): Promise<void> {
    const ws = this.ws;
    this.stop('closed', 'The connection was closed by the bot.');
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const fallback = this.clock.setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        this.clock.clearTimeout(fallback);
        resolve();
      });
    });
  }

  async setState(action: PowerAction): Promise<void> {
    checkPowerAction(action);
    this.requireReady();
    requirePermission(
      this.permissionList,
      POWER_PERMISSION[action],
      `The API key is not allowed to ${action} this server.`,
    );
    return this.queue.enqueue('set state', [action]);
  }

  async sendCommand(command: string): Promise<void> {
    checkCommandText(command, this.opts.maxFrameBytes ?? MAX_INBOUND_FRAME_BYTES);
    this.requireReady();
    requirePermission(
      this.permissionList,
      PERMISSION.console,
      'The API key is not allowed to send console commands to this server.',
    );
    if (this.serverStateValue === 'offline') {
      // Wings drops commands to an offline server without a word (§4.1).
      throw new WingsError('offline', 'The server is offline; start it before sending commands.');
    }
    return this.queue.enqueue('send command', [command]);
  }

  async requestStats(): Promise<void> {
    this.requireReady();
    return this.queue.enqueue('send stats', []);
  }

  async requestLogs(): Promise<void> {
    this.requireReady();
    return this.queue.enqueue('send logs', []);
  }

  waitForReady(timeoutMs: number): Promise<void> {
    if (this.stateValue.kind === 'ready') return Promise.resolve();
    if (this.stateValue.kind === 'stopped') return Promise.reject(this.stoppedError());
    return new Promise<void>((resolve, reject) => {
      const onState = (state: ConnectionState): void => {
        if (state.kind === 'ready') finish();
        else if (state.kind === 'stopped') finish(this.stoppedError());
      };
      const timer = this.clock.setTimeout(
        () => finish(new WingsError('timeout', 'The server did not answer in time; try again in a moment.')),
        timeoutMs,
      );
      const finish = (error?: Error): void => {
        this.clock.clearTimeout(timer);
        this.off('state', onState);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.on('state', onState);
    });
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────────────────────

  private requireReady(): void {
    if (this.stateValue.kind === 'stopped') throw this.stoppedError();
    if (this.stateValue.kind !== 'ready') throw new WingsError('not_ready', NOT_READY);
  }

  private stoppedError(): WingsError {
    const reason = this.stateValue.kind === 'stopped' ? this.stateValue.reason : undefined;
    return new WingsError('stopped', reason === undefined ? STOPPED : `${STOPPED} ${reason}`);
  }

  private write(frame: string): void {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) throw new WingsError('not_ready', NOT_READY);
    ws.send(frame);
  }

  private sendAuth(token: string): void {
    const ws = this.ws;
    this.queue.enqueue('auth', [token], true).then(
      () => {
        if (this.ws === ws) this.authTimer.set(this.opts.authTimeoutMs ?? 15_000, () => this.drop('auth timed out'));
      },
      () => undefined,
    );
  }

  private async fetchCredentials(): Promise<WebsocketCredentials> {
    this.limiter.take();
    try {
      return await this.opts.credentials.getWebsocketCredentials(this.serverId);
    } catch (error) {
      const retryAfter = asPanelFailure(error).retryAfterMs;
      if (retryAfter !== undefined) this.limiter.blockFor(retryAfter);
      throw error;
    }
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────────────────────

  private setConnState(state: ConnectionState): void {
    this.stateValue = state;
    this.safeEmit('state', state);
  }

  private beginAttempt(): void {
    const generation = ++this.generation;
    this.attempt += 1;
    const wait = this.limiter.waitMs();
    if (wait > 0) {
      // Counted as the same attempt: nothing failed, we only wait for the panel's token budget.
      this.attempt -= 1;
      this.enterRetrying(wait, 'waiting for the panel’s websocket-token limit');
      return;
    }
    this.setConnState({ kind: 'connecting', attempt: this.attempt });
    void this.connect(generation);
  }

  private async connect(generation: number): Promise<void> {
    let credentials: WebsocketCredentials;
    const release = this.opts.connectGate ? await this.opts.connectGate.acquire() : undefined;
    try {
      if (generation !== this.generation) return;
      await this.loadServerDetails();
      if (generation !== this.generation) return;
      credentials = await this.fetchCredentials();
    } catch (error) {
      if (generation !== this.generation) return;
      const fatal = fatalPanelFailure(error);
      if (error instanceof SuspendedError) this.stop('suspended', error.userMessage);
      else if (fatal !== undefined) this.stop(fatal.code, fatal.reason);
      else this.scheduleRetry(describeError(error), asPanelFailure(error).retryAfterMs ?? 0);
      return;
    } finally {
      release?.();
    }
    if (generation !== this.generation) return;
    if (this.stateValue.kind === 'stopped') return;
    this.openSocket(credentials);
  }

  private async loadServerDetails(): Promise<void> {
    try {
      const details = await this.opts.credentials.getServer(this.serverId);
      this.permissionList = details.isOwner ? ['*', ...details.permissions] : [...details.permissions];
      this.permissionsKnown = true;
      if (details.isSuspended) throw new SuspendedError();
    } catch (error) {
      // Transient trouble with a request we only need for permissions: keep what we knew.
      if (this.permissionsKnown && !(error instanceof SuspendedError) && fatalPanelFailure(error) === undefined) {
        this.log.warn({ err: describeError(error) }, 'server details unavailable; keeping known permissions');
        return;
      }
      throw error;
    }
  }

  private openSocket(credentials: WebsocketCredentials): void {
    const create = this.opts.createSocket ?? ((url, options) => new WebSocket(url, options));
    let ws: WebSocket;
    // ws hands these to http.request, so `lookup` (absent from its types) applies: the panel picks this address, and a
    // name resolving to link-local/metadata addresses is refused (dns-guard.ts).
    const socketOptions: ClientOptions & { lookup: LookupFunction } = {
      origin: this.opts.panelUrl,
      perMessageDeflate: false,
      handshakeTimeout: this.opts.connectTimeoutMs ?? 10_000,
      lookup: guardedLookup,
    };
    try {
      ws = create(credentials.socket, socketOptions);
    } catch (error) {
      this.scheduleRetry(`invalid socket address: ${describeError(error)}`);
      return;
    }
    this.ws = ws;
    this.socketAuthed = false;
    this.refresher.begin(credentials.token);

    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      if (this.ws !== ws) return;
      const status = res.statusCode ?? 0;
      this.detachSocket();
      ws.terminate();
      if (status === 403) {
        this.stop(
          'origin_rejected',
          `Wings refused the connection (HTTP 403): add ${this.opts.panelUrl} to its allowed origins.`,
        );
      } else if (status === 404) {
        this.stop('server_not_found', 'Wings does not know this server (HTTP 404); it may have been deleted or moved.');
      } else {
        this.scheduleRetry(`upgrade refused with HTTP ${status}`);
      }
    });
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.upgrades += 1;
      this.missedPongs = 0;
      this.schedulePing();
      this.queue.resetBuckets();
      this.queue.setMode('auth-only');
      this.sendAuth(credentials.token);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      if (isBinary) {
        this.complain('binary frame skipped', { bytes: rawLength(data) });
        return;
      }
      dispatchFrame(this.inboundHost, rawText(data));
    });
    ws.on('pong', () => {
      if (this.ws === ws) this.missedPongs = 0;
    });
    let refusedAddress = false;
    ws.on('error', (error) => {
      if (this.ws !== ws) return;
      refusedAddress ||= (error as NodeJS.ErrnoException).code === FORBIDDEN_ADDRESS;
      this.log.debug({ err: error.message }, 'socket error');
    });
    ws.on('close', (code, reasonBuffer) => {
      if (this.ws !== ws) return;
      this.detachSocket();
      const reason = reasonBuffer.toString('utf8');
      if (FATAL_CLOSE_CODES.includes(code)) {
        this.stop('suspended', 'The server is suspended on the panel.');
        return;
      }
      if (refusedAddress) {
        this.scheduleRetry(
          'the Wings node’s address resolves to a link-local or cloud-metadata address; not connecting',
        );
        return;
      }
      this.scheduleRetry(`socket closed (code ${code}${reason === '' ? '' : `: ${reason}`})`);
    });
  }

  private schedulePing(): void {
    const interval = this.opts.pingIntervalMs ?? 30_000;
    this.pingTimer.set(interval, () => {
      const ws = this.ws;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
      if (this.missedPongs >= (this.opts.missedPongLimit ?? 2)) {
        this.drop('no pong from Wings');
        return;
      }
      this.missedPongs += 1;
      ws.ping();
      this.schedulePing();
    });
  }

  /** Forgets the current socket: its late events are ignored from now on. */
  private detachSocket(): void {
    this.ws = undefined;
    this.socketAuthed = false;
    this.authTimer.clear();
    this.pingTimer.clear();
    this.refresher.cancel();
    this.queue.setMode('closed');
    this.queue.clear(new WingsError('not_ready', 'The connection to the server was lost before this was sent.'));
  }

  /** Abandons a live socket and reconnects (liveness failure, auth timeout, server transferred). */
  private drop(reason: string, immediate = false): void {
    const ws = this.ws;
    if (ws === undefined) return;
    this.detachSocket();
    ws.terminate();
    if (immediate) {
      this.log.info({ reason }, 'reconnecting');
      this.generation += 1;
      this.attempt = 0;
      this.backoff.reset();
      this.beginAttempt();
    } else {
      this.scheduleRetry(reason);
    }
  }

  private scheduleRetry(reason: string, minDelayMs = 0): void {
    if (this.stateValue.kind === 'stopped') return;
    const delay = Math.max(this.backoff.next(), minDelayMs, this.limiter.waitMs());
    this.log.info({ reason, attempt: this.attempt + 1, delayMs: delay }, 'wings connection retrying');
    this.enterRetrying(delay, reason);
  }

  private enterRetrying(delayMs: number, reason: string): void {
    this.generation += 1;
    this.setConnState({
      kind: 'retrying',
      attempt: this.attempt + 1,
      nextAttemptAt: this.clock.now() + delayMs,
      reason,
    });
    this.retryTimer.set(delayMs, () => this.beginAttempt());
  }

  private stop(code: StopCode, reason: string): void {
    if (this.stateValue.kind === 'stopped') return;
    this.generation += 1;
    this.retryTimer.clear();
    const ws = this.ws;
    this.queue.clear(new WingsError('stopped', `${STOPPED} ${reason}`));
    this.detachSocket();
    if (ws !== undefined) ws.close(1000);
    (code === 'closed' ? this.log.debug : this.log.warn).call(this.log, { code, reason }, 'wings connection stopped');
    this.setConnState({ kind: 'stopped', code, reason });
  }

  // ── inbound ────────────────────────────────────────────────────────────────────────────────────────────────────

  private readonly inboundHost: InboundHost = {
    emit: (event, ...args) => this.safeEmit(event, ...args),
    complain: (what, fields) => this.complain(what, fields),
    onAuthSuccess: () => this.onAuthSuccess(),
    setServerState: (state) => {
      const changed = state !== this.serverStateValue;
      this.serverStateValue = state;
      if (changed) this.safeEmit('status', state);
    },
    setStats: (stats) => {
      this.lastStatsValue = stats;
    },
    refresh: (reason) => {
      // Past expiry (or denylisted) on an authenticated socket, Wings swaps our output for jwt errors: remember the gap.
      if (this.socketAuthed && reason !== 'token expiring') this.outputGap = true;
      this.refresher.trigger(reason);
    },
    jwtFatal: (text, missingConnect) => {
      this.log.warn({ error: text }, 'fatal jwt error from wings');
      if (missingConnect) this.stop('missing_permission', 'The API key lost permission to open this server’s console.');
      else this.stop('jwt_fatal', `Wings rejected the credentials: ${text}`);
    },
    jwtNotice: (text) => {
      const admitted = this.jwtLog.admit();
      if (admitted !== undefined)
        this.log.info({ error: text, suppressed: admitted.suppressed }, 'jwt error from wings');
    },
    deleted: () => this.stop('deleted', 'The server was deleted.'),
    transferred: () => this.drop('server transferred to another node', true),
  };

  private onAuthSuccess(): void {
    this.authTimer.clear();
    this.refresher.onAuthSuccess();
    if (this.socketAuthed) {
      if (this.outputGap) {
        this.outputGap = false;
        this.safeEmit('gap');
      }
      return;
    }
    this.outputGap = false;
    this.socketAuthed = true;
    this.attempt = 0;
    this.backoff.reset();
    this.setConnState({ kind: 'ready', since: this.clock.now() });
    this.queue.setMode('open');
    this.safeEmit('ready');
  }

  private complain(what: string, fields: Record<string, unknown>): void {
    const admitted = this.frameLog.admit();
    if (admitted !== undefined) this.log.warn({ ...fields, suppressed: admitted.suppressed }, what);
  }

  /** A throwing listener must not break the socket's read loop. */
  private safeEmit<K extends keyof WingsConnectionEvents>(event: K, ...args: WingsConnectionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: WingsConnectionEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error({ event, err: describeError(error) }, 'wings event listener threw');
    }
  }
}

class SuspendedError extends Error {
  readonly kind = 'suspended';
  readonly userMessage = 'The server is suspended on the panel.';
}
