// The Wings side: HTTP upgrade for /api/servers/<uuid>/ws (404 / 400 cap / 403 origin exactly as Wings + gorilla
// answer them), the socket registry, denylists and Wings restarts.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebsocketPayload } from './jwt.ts';
import type { ServerRecord } from './model.ts';
import { Session, type SessionHost } from './session.ts';

export interface WingsNodeOptions extends Omit<SessionHost, 'isDenylisted' | 'refuseAuth'> {
  panelUrl: string;
  allowedOrigins: string[];
  maxSocketsPerServer: number;
  maxFrameBytes: number;
  findServer(uuid: string): ServerRecord | undefined;
}

const WS_PATH = /^\/api\/servers\/([^/]+)\/ws\/?$/;

export class WingsNode implements SessionHost {
  readonly sockets = new Map<string, Set<Session>>();
  bootTimeMs: number;
  nodeDown = false;
  refuseAuth = false;
  private readonly jtiDeny = new Map<string, number>();
  private readonly userDeny = new Map<string, number>();
  private readonly wss: WebSocketServer;

  constructor(private readonly o: WingsNodeOptions) {
    // Wings booted before the panel minted anything: start on a whole second so no first token is denylisted.
    this.bootTimeMs = Math.floor(o.clock.now() / 1000) * 1000;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.limits ? o.maxFrameBytes : 100 * 1024 * 1024,
      // Wings ≥ 1.12 negotiates permessage-deflate and limits the *compressed* frame; the double does not
      // negotiate, so every frame over the limit is refused (stricter, never laxer than Wings).
      perMessageDeflate: false,
    });
  }

  get clock() {
    return this.o.clock;
  }
  get metrics() {
    return this.o.metrics;
  }
  get daemonToken() {
    return this.o.daemonToken;
  }
  get limits() {
    return this.o.limits;
  }
  get limitRateScale() {
    return this.o.limitRateScale;
  }
  get requireScope() {
    return this.o.requireScope;
  }
  get expiryTickMs() {
    return this.o.expiryTickMs;
  }
  get expiringWindowSec() {
    return this.o.expiringWindowSec;
  }
  get logCount() {
    return this.o.logCount;
  }
  get inboundJitterMs() {
    return this.o.inboundJitterMs;
  }

  /** Wings' isDenylisted (tokens/websocket.go). Times are the double's clock in ms; iat is whole seconds. */
  isDenylisted(p: WebsocketPayload): boolean {
    if (p.iat === undefined || p.serverUuid === '' || p.userUuid === '') return true;
    const iatMs = p.iat * 1000;
    if (iatMs < this.bootTimeMs) return true;
    const jtiAt = this.jtiDeny.get(p.jti);
    if (jtiAt !== undefined && iatMs <= jtiAt) return true;
    const userAt = this.userDeny.get(`${p.serverUuid}:${p.userUuid}`);
    return userAt !== undefined && iatMs <= userAt;
  }

  denyJti(jti: string): void {
    this.jtiDeny.set(jti, this.o.clock.now());
    this.o.clock.skipToNextSecond(this.o.clock.now());
  }

  /** Wings ≥ 1.12 deauthorize-user: deny the user's older tokens for this server and drop every socket. */
  deauthorizeUser(serverUuid: string, userUuid: string): void {
    this.userDeny.set(`${serverUuid}:${userUuid}`, this.o.clock.now());
    this.o.clock.skipToNextSecond(this.o.clock.now());
    this.dropSockets(serverUuid);
  }

  restart(): void {
    this.dropSockets();
    this.bootTimeMs = this.o.clock.now();
    this.jtiDeny.clear();
    this.userDeny.clear();
    this.o.clock.skipToNextSecond(this.bootTimeMs - 1);
  }

  /** TCP drop without a close frame: the client sees 1006. */
  dropSockets(uuid?: string): void {
    for (const [id, set] of this.sockets) {
      if (uuid !== undefined && id !== uuid) continue;
      for (const s of set) s.ws.terminate();
    }
  }

  forEachSession(uuid: string, fn: (s: Session) => void): void {
    for (const s of this.sockets.get(uuid) ?? []) fn(s);
  }

  openSockets(uuid: string): number {
    return this.sockets.get(uuid)?.size ?? 0;
  }

  /** Plain GET on the socket path: gorilla refuses it before anything else. */
  isSocketPath(pathname: string): boolean {
    return WS_PATH.test(pathname);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = WS_PATH.exec(url.pathname);
    const uuid = match ? decodeURIComponent(match[1] ?? '') : undefined;
    const record = (status: number, reason: string, accepted = false) =>
      this.o.metrics.upgrades.push({
        path: url.pathname,
        uuid,
        accepted,
        status,
        reason,
        at: this.o.clock.now(),
      });
    if (this.nodeDown) {
      record(0, 'node down');
      socket.destroy();
      return;
    }
    const server = uuid === undefined ? undefined : this.o.findServer(uuid);
    if (!match || !server || server.uuid !== uuid || server.sim.deleted) {
      record(404, 'unknown server');
      reject(socket, 404, 'application/json; charset=utf-8', {}, JSON.stringify(NOT_FOUND));
      return;
    }
    if (this.o.limits && this.openSockets(server.uuid) >= this.o.maxSocketsPerServer) {
      record(400, 'too many sockets');
      reject(socket, 400, 'application/json; charset=utf-8', {}, JSON.stringify(TOO_MANY));
      return;
    }
    const origin = req.headers.origin;
    const allowed = this.o.allowedOrigins;
    const originOk =
      origin === this.o.panelUrl || allowed.includes('*') || (origin !== undefined && allowed.includes(origin));
    if (!originOk) {
      record(403, origin === undefined ? 'origin missing' : `origin mismatch: ${origin}`);
      reject(
        socket,
        403,
        'text/plain; charset=utf-8',
        { 'Sec-Websocket-Version': '13', 'X-Content-Type-Options': 'nosniff' },
        'Forbidden\n',
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      record(101, server.sim.suspended ? 'suspended: closed 4409' : 'upgraded', true);
      const session = new Session(this, server, ws);
      let set = this.sockets.get(server.uuid);
      if (!set) {
        set = new Set();
        this.sockets.set(server.uuid, set);
      }
      set.add(session);
      server.sim.events.emit('socket', 'open', session.id);
      ws.on('close', (code) => {
        set.delete(session);
        server.sim.events.emit('socket', 'close', session.id, code);
      });
      if (server.sim.suspended && this.o.limits) ws.close(4409, 'server is suspended');
    });
  }

  close(): void {
    this.dropSockets();
    this.wss.close();
  }
}

const NOT_FOUND = { error: 'The requested resource does not exist on this instance.' };
const TOO_MANY = { error: 'Too many open websocket connections.' };
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };

function reject(socket: Duplex, status: number, type: string, headers: Record<string, string>, body: string): void {
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    `Content-Type: ${type}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
