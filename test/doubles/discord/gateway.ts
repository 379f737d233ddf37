// The gateway: HELLO → IDENTIFY/RESUME → READY + GUILD_CREATE, heartbeats, sequence numbers with replay on resume,
// intent filtering, shard routing ((guild_id >> 22) % count), close codes and opcodes on demand. JSON encoding; optional
// zlib-stream transport compression when the client asks for it in the URL.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { GatewayIntentBits } from 'discord-api-types/v10';
import { type WebSocket, WebSocketServer } from 'ws';
import type { World } from './model.ts';
import { randomToken, Signal } from './util.ts';

const ALL_INTENTS = Object.values(GatewayIntentBits)
  .filter((v): v is number => typeof v === 'number')
  .reduce((a, b) => a | b, 0);
const PRIVILEGED = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

/** Close codes after which Discord does not let the session be resumed. */
const SESSION_ENDING = new Set([4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014]);

function intentFor(event: string): number {
  if (event.startsWith('GUILD_MEMBER')) return GatewayIntentBits.GuildMembers;
  if (event.startsWith('GUILD_') || event.startsWith('CHANNEL_') || event.startsWith('THREAD_')) {
    return GatewayIntentBits.Guilds;
  }
  if (event.startsWith('MESSAGE_')) return GatewayIntentBits.GuildMessages;
  return 0;
}

export interface IdentifyRecord {
  at: number;
  intents: number;
  shard: [number, number];
  properties: unknown;
  compress: boolean;
  largeThreshold?: number;
  presence?: unknown;
}

interface Dispatched {
  s: number;
  t: string;
  d: unknown;
}

export interface GatewaySession {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  events: Dispatched[];
  conn?: Connection;
  resumable: boolean;
}

interface Connection {
  ws: WebSocket;
  path: string;
  session?: GatewaySession;
  deflate?: zlib.Deflate;
  sentInWindow: number;
  windowStart: number;
}

export class GatewayMetrics {
  connections = 0;
  identifies = 0;
  resumes = 0;
  failedResumes = 0;
  heartbeats = 0;
  readonly identifyLog: IdentifyRecord[] = [];
  readonly closeCodes: number[] = [];
  /** Codes the client closed with. */
  readonly clientCloseCodes: number[] = [];
}

export interface GatewayOptions {
  world: World;
  botToken: string;
  applicationId: string;
  heartbeatMs: number;
  privilegedIntents: number;
  resumeUrl: () => string;
}

export class Gateway {
  readonly metrics = new GatewayMetrics();
  readonly sessions = new Map<string, GatewaySession>();
  readonly signal = new Signal();
  private readonly conns = new Set<Connection>();
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(private readonly o: GatewayOptions) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/gateway' && url.pathname !== '/resume') {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url));
  }

  private accept(ws: WebSocket, url: URL) {
    const conn: Connection = { ws, path: url.pathname, sentInWindow: 0, windowStart: Date.now() };
    this.conns.add(conn);
    this.metrics.connections += 1;
    ws.on('close', (code) => {
      this.conns.delete(conn);
      this.metrics.clientCloseCodes.push(code);
      const session = conn.session;
      if (session && session.conn === conn) {
        session.conn = undefined;
        // A client closing with 1000/1001 ends its session; Discord will not resume it.
        if (code === 1000 || code === 1001) session.resumable = false;
      }
      this.signal.notify();
    });
    if (url.searchParams.get('v') !== '10') return this.close(conn, 4012, 'Invalid API version');
    if ((url.searchParams.get('encoding') ?? 'json') !== 'json') return this.close(conn, 4002, 'Only JSON encoding');
    if (url.searchParams.get('compress') === 'zlib-stream') {
      const deflate = zlib.createDeflate();
      const pending: Buffer[] = [];
      deflate.on('data', (chunk: Buffer) => pending.push(chunk));
      conn.deflate = deflate;
      (conn as Connection & { pending: Buffer[] }).pending = pending;
    }
    ws.on('message', (data, isBinary) => this.onMessage(conn, data.toString(), isBinary));
    this.send(conn, {
      op: 10,
      d: { heartbeat_interval: this.o.heartbeatMs, _trace: ['["double-gateway",{"micros":0}]'] },
      s: null,
      t: null,
    });
  }

  private send(conn: Connection, payload: unknown): void {
    const text = JSON.stringify(payload);
    if (!conn.deflate) {
      conn.ws.send(text);
      return;
    }
    const pending = (conn as Connection & { pending: Buffer[] }).pending;
    conn.deflate.write(text);
    conn.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const chunk = Buffer.concat(pending.splice(0));
      if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(chunk);
    });
  }

  private close(conn: Connection, code: number, reason: string): void {
    this.metrics.closeCodes.push(code);
    if (conn.session && SESSION_ENDING.has(code)) conn.session.resumable = false;
    if (conn.ws.readyState === conn.ws.OPEN || conn.ws.readyState === conn.ws.CONNECTING) conn.ws.close(code, reason);
  }

  private onMessage(conn: Connection, text: string, isBinary: boolean) {
    const now = Date.now();
    if (now - conn.windowStart >= 60_000) {
      conn.windowStart = now;
      conn.sentInWindow = 0;
    }
    conn.sentInWindow += 1;
    if (conn.sentInWindow > 120) return this.close(conn, 4008, 'Rate limited.');
    let payload: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      payload = JSON.parse(text) as { op?: unknown; d?: unknown };
    } catch {
      return this.close(conn, 4002, 'Error while decoding payload.');
    }
    switch (payload.op) {
      case 1:
        this.metrics.heartbeats += 1;
        this.send(conn, { op: 11, d: null, s: null, t: null });
        return;
      case 2:
        return this.identify(conn, (payload.d ?? {}) as Record<string, unknown>);
      case 6:
        return this.resume(conn, (payload.d ?? {}) as Record<string, unknown>);
      case 3:
      case 4:
      case 8:
        if (!conn.session) return this.close(conn, 4003, 'Not authenticated.');
        return;
      default:
        return this.close(conn, 4001, 'Unknown opcode.');
    }
  }

  private tokenOk(token: unknown): boolean {
    return token === this.o.botToken || token === `Bot ${this.o.botToken}`;
  }

  private identify(conn: Connection, d: Record<string, unknown>) {
    if (conn.session) return this.close(conn, 4005, 'Already authenticated.');
    if (!this.tokenOk(d.token)) return this.close(conn, 4004, 'Authentication failed.');
    const intents = d.intents;
    if (typeof intents !== 'number' || (intents & ~ALL_INTENTS) !== 0)
      return this.close(conn, 4013, 'Invalid intent(s).');
    if ((intents & PRIVILEGED & ~this.o.privilegedIntents) !== 0)
      return this.close(conn, 4014, 'Disallowed intent(s).');
    const shard = (Array.isArray(d.shard) ? d.shard : [0, 1]) as [number, number];
    if (shard.length !== 2 || !(shard[1] >= 1) || !(shard[0] >= 0) || shard[0] >= shard[1]) {
      return this.close(conn, 4010, 'Invalid shard.');
    }
    this.metrics.identifies += 1;
    this.metrics.identifyLog.push({
      at: Date.now(),
      intents,
      shard,
      properties: d.properties,
      compress: d.compress === true,
      ...(typeof d.large_threshold === 'number' ? { largeThreshold: d.large_threshold } : {}),
      ...(d.presence !== undefined ? { presence: d.presence } : {}),
    });
    const session: GatewaySession = { id: randomToken(16), shard, intents, seq: 0, events: [], conn, resumable: true };
    this.sessions.set(session.id, session);
    conn.session = session;
    const { world } = this.o;
    const guilds = [...world.guilds.values()].filter((g) => g.botPresent && this.owns(session, g.id));
    this.dispatchTo(session, 'READY', {
      v: 10,
      user: { ...world.userJson(world.botUser), verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: this.o.resumeUrl(),
      shard,
      application: { id: this.o.applicationId, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['local'],
      user_settings: {},
      auth: {},
      _trace: ['["double-gateway",{"micros":0}]'],
    });
    if ((intents & GatewayIntentBits.Guilds) !== 0) {
      for (const guild of guilds) this.dispatchTo(session, 'GUILD_CREATE', world.guildCreateJson(guild));
    }
    this.signal.notify();
  }

  private resume(conn: Connection, d: Record<string, unknown>) {
    if (conn.session) return this.close(conn, 4005, 'Already authenticated.');
    if (!this.tokenOk(d.token)) return this.close(conn, 4004, 'Authentication failed.');
    const session = this.sessions.get(String(d.session_id));
    const seq = typeof d.seq === 'number' ? d.seq : -1;
    if (!session?.resumable || seq > session.seq || seq < 0) {
      this.metrics.failedResumes += 1;
      this.send(conn, { op: 9, d: false, s: null, t: null });
      return;
    }
    if (session.conn && session.conn !== conn) {
      const old = session.conn;
      session.conn = undefined;
      old.ws.terminate();
    }
    this.metrics.resumes += 1;
    session.conn = conn;
    conn.session = session;
    for (const e of session.events) if (e.s > seq) this.send(conn, { op: 0, s: e.s, t: e.t, d: e.d });
    this.dispatchTo(session, 'RESUMED', { _trace: ['["double-gateway",{"micros":0}]'] });
    this.signal.notify();
  }

  owns(session: GatewaySession, guildId: string): boolean {
    return Number((BigInt(guildId) >> 22n) % BigInt(session.shard[1])) === session.shard[0];
  }

  private dispatchTo(session: GatewaySession, t: string, d: unknown): void {
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.events.push(event);
    if (session.events.length > 2000) session.events.shift();
    if (session.conn) this.send(session.conn, { op: 0, ...event });
  }

  /** Sends a dispatch to every live session that owns the guild and subscribed to the event's intent. Returns how many. */
  dispatch(guildId: string | null, t: string, d: unknown): number {
    const intent = intentFor(t);
    let delivered = 0;
    for (const session of this.sessions.values()) {
      if (!session.resumable) continue;
      if (guildId !== null && !this.owns(session, guildId)) continue;
      if (guildId === null && session.shard[0] !== 0) continue;
      if (intent !== 0 && (session.intents & intent) === 0) continue;
      this.dispatchTo(session, t, d);
      delivered += 1;
    }
    return delivered;
  }

  /** Closes every open gateway connection with `code` (4000 resumable, 4004/4014 fatal, 4009 ends the session…). */
  closeAll(code: number, reason = 'closed by test'): void {
    for (const conn of this.conns) this.close(conn, code, reason);
  }

  /** Opcode 7: the client should reconnect and resume. */
  requestReconnect(): void {
    for (const conn of this.conns) if (conn.session) this.send(conn, { op: 7, d: null, s: null, t: null });
  }

  /** Opcode 9 with d=resumable; a non-resumable one ends the session. */
  invalidateSessions(resumable: boolean): void {
    for (const conn of this.conns) {
      if (!conn.session) continue;
      if (!resumable) conn.session.resumable = false;
      this.send(conn, { op: 9, d: resumable, s: null, t: null });
    }
  }

  /** Opcode 1: asks the client for an immediate heartbeat. */
  requestHeartbeat(): void {
    for (const conn of this.conns) this.send(conn, { op: 1, d: null, s: null, t: null });
  }

  liveSessions(): GatewaySession[] {
    return [...this.sessions.values()].filter((s) => s.resumable && s.conn !== undefined);
  }

  shutdown(): void {
    for (const conn of this.conns) conn.ws.terminate();
    this.wss.close();
  }
}
