/** Test support for the wings suites: a manual clock, a condition waiter and a log capture. */
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { Clock, TimerHandle } from '../src/wings/clock.ts';

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private time: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order (including ones they set). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
}

export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      const text = chunk.toString();
      raw.push(text);
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines, text: () => raw.join('') };
}

// ── a tiny raw Wings for frames and closes the double cannot produce ────────────────────────────────────────────────

export interface RawUpgrade {
  origin: string | undefined;
  extensions: string | undefined;
}

export interface RawWings {
  url: string;
  upgrades: RawUpgrade[];
  /** Frames received, per socket, in order. */
  received: string[][];
  sockets: import('ws').WebSocket[];
  close(): Promise<void>;
}

/**
 * Upgrades every request on 127.0.0.1:0 (or answers `httpStatus`), records Origin and extensions, and hands each
 * socket to `onSocket`.
 */
export async function startRawWings(
  onSocket: (ws: import('ws').WebSocket, index: number) => void,
  options: { httpStatus?: number; autoPong?: boolean } = {},
): Promise<RawWings> {
  const { createServer } = await import('node:http');
  const { WebSocketServer } = await import('ws');
  const upgrades: RawUpgrade[] = [];
  const received: string[][] = [];
  const sockets: import('ws').WebSocket[] = [];
  const wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => {
    upgrades.push({ origin: req.headers.origin, extensions: req.headers['sec-websocket-extensions'] });
    if (options.httpStatus !== undefined) {
      socket.end(`HTTP/1.1 ${options.httpStatus} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const index = sockets.length;
      sockets.push(ws);
      const frames: string[] = [];
      received.push(frames);
      ws.on('message', (data) => frames.push(data.toString()));
      ws.on('error', () => undefined);
      onSocket(ws, index);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `ws://127.0.0.1:${address.port}/api/servers/00000000-0000-0000-0000-000000000000/ws`,
    upgrades,
    received,
    sockets,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export function makeJwt(lifetimeSec = 600, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iat, exp: iat + lifetimeSec, unique: Math.random() })}.c2ln`;
}

/** A credential source for the raw server: counts calls, can fail on demand. */
export class FakeCredentials {
  serverCalls = 0;
  tokenCalls = 0;
  tokens: string[] = [];
  permissions: string[] = ['*'];
  tokenFailure: unknown;
  serverFailure: unknown;

  constructor(
    private readonly socketUrl: () => string,
    private readonly lifetimeSec = 600,
  ) {}

  async getServer(_id: string): Promise<{ permissions: string[]; isOwner: boolean; isSuspended: boolean }> {
    this.serverCalls += 1;
    if (this.serverFailure !== undefined) throw this.serverFailure;
    return { permissions: this.permissions, isOwner: false, isSuspended: false };
  }

  async getWebsocketCredentials(_id: string): Promise<{ token: string; socket: string }> {
    this.tokenCalls += 1;
    if (this.tokenFailure !== undefined) throw this.tokenFailure;
    const token = makeJwt(this.lifetimeSec);
    this.tokens.push(token);
    return { token, socket: this.socketUrl() };
  }
}

// ── the panel+Wings double with a real PanelClient ──────────────────────────────────────────────────────────────────

export interface ConsoleRecorder {
  lines: string[];
  numbers(prefix: string): number[];
}

export function recordConsole(connection: import('../src/wings/connection.ts').WingsConnection): ConsoleRecorder {
  const lines: string[] = [];
  connection.on('console', (line) => lines.push(line));
  return {
    lines,
    numbers: (prefix) =>
      lines.filter((l) => l.startsWith(prefix)).map((l) => Number.parseInt(l.slice(prefix.length), 10)),
  };
}
