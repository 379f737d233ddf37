/**
 * WingsConnection against the panel+Wings double with a real PanelClient: reconnects, permanent stops (and no retry
 * storm), Origin, requests refused up front, power, stats and client-side rate limits.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PanelClient } from '../src/panel/index.ts';
import { WingsConnection, type WingsConnectionOptions } from '../src/wings/connection.ts';
import { frameByteLength } from '../src/wings/protocol.ts';
import type { ConnectionState } from '../src/wings/types.ts';
import {
  type PanelWingsDouble,
  type PanelWingsDoubleOptions,
  startPanelWingsDouble,
} from './doubles/panel-wings/index.ts';
import { captureLog, recordConsole, waitFor } from './wings-support.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface SetupOptions {
  double?: PanelWingsDoubleOptions;
  connection?: Partial<WingsConnectionOptions>;
  state?: 'offline' | 'running';
  permissions?: string[];
}

async function setup(o: SetupOptions = {}) {
  const double: PanelWingsDouble = await startPanelWingsDouble({ limitRateScale: 0.05, ...o.double });
  cleanup.push(() => double.close());
  const server = double.addServer({ name: 'Survival', state: o.state ?? 'running' });
  const key = double.addApiKey({ servers: { [server.identifier]: o.permissions ?? ['*'] } });
  const log = captureLog();
  const states: ConnectionState[] = [];
  const connection = new WingsConnection({
    serverId: server.identifier,
    panelUrl: double.panelUrl,
    credentials: new PanelClient({ panelUrl: double.panelUrl, apiKey: key, maxRetries: 0 }),
    logger: log.logger,
    limits: { scale: 0.05 },
    backoff: { initialMs: 40, maxMs: 400 },
    ...o.connection,
  });
  connection.on('state', (s) => states.push(s));
  cleanup.push(() => connection.close());
  if (o.state !== 'offline') await waitFor(() => server.state === 'running', 5000, 'the game to boot');
  return { double, server, key, connection, log, states };
}

type Retrying = Extract<ConnectionState, { kind: 'retrying' }>;
const retries = (states: ConnectionState[]) => states.filter((s): s is Retrying => s.kind === 'retrying');
const received = (double: PanelWingsDouble, uuid: string, event: string) =>
  double.metrics.received(uuid).filter((f) => f.event === event);

describe('reconnects', () => {
  it('reconnects a dropped socket with backoff and resets the attempt counter after auth success', async () => {
    const { double, server, connection, states } = await setup({
      double: { wsTokenPerMinute: 0 },
      connection: { wsTokenLimit: { count: 100, perMs: 60_000 } },
    });
    connection.start();
    await connection.waitForReady(5000);

    double.faults.nodeDown(true); // drops the socket and refuses new upgrades
    await waitFor(() => retries(states).length >= 4, 5000, 'four failed attempts');
    const failing = retries(states).slice(0, 4);
    expect(failing.map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    double.faults.nodeDown(false);
    await waitFor(() => connection.connectionState.kind === 'ready', 5000, 'ready again');

    const before = retries(states).length;
    double.faults.dropSockets(server.uuid);
    await waitFor(() => retries(states).length > before, 5000, 'a retry after the second drop');
    const afterReset = retries(states)[before]!;
    expect(afterReset.attempt).toBe(1);
    await connection.waitForReady(5000);
    expect(connection.connectionState.kind).toBe('ready');
    // Every attempt fetched fresh credentials; the socket itself was never offered an old token.
    expect(double.metrics.sent(server.uuid).byEvent['jwt error']).toBeUndefined();
  });

  it('backs off within the jittered, capped window', async () => {
    const { double, connection } = await setup({
      double: { wsTokenPerMinute: 0 },
      connection: {
        backoff: { initialMs: 40, maxMs: 160 },
        random: () => 0.5,
        wsTokenLimit: { count: 100, perMs: 60_000 },
      },
    });
    const delays: number[] = [];
    connection.on('state', (s) => {
      if (s.kind === 'retrying') delays.push(s.nextAttemptAt - Date.now());
    });
    connection.start();
    await connection.waitForReady(5000);
    double.faults.nodeDown(true);
    await waitFor(() => delays.length >= 5, 8000, 'five failed attempts');
    // random() = 0.5 puts each delay at 3/4 of its window: windows 40, 80, 160 (cap), 160, 160.
    for (const [i, expected] of [30, 60, 120, 120, 120].entries()) {
      expect(delays[i]).toBeGreaterThanOrEqual(expected - 2);
      expect(delays[i]).toBeLessThanOrEqual(expected);
    }
  });
});

describe('stops for good, without a retry storm', () => {
  it('after the key is revoked (panel 401)', async () => {
    const { double, server, key, connection } = await setup();
    connection.start();
    await connection.waitForReady(5000);
    const requestsBefore = double.metrics.requests({ key });
    double.faults.panelFailures({ status: 401, count: 1000 });
    double.faults.dropSockets(server.uuid);
    await waitFor(() => connection.connectionState.kind === 'stopped', 5000, 'stopped');
    expect(connection.connectionState).toMatchObject({ kind: 'stopped', code: 'invalid_key' });
    const requestsAfterStop = double.metrics.requests();
    // Give a retry loop every chance to show itself: several backoff windows.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(double.metrics.requests()).toBe(requestsAfterStop);
    expect(requestsAfterStop - requestsBefore).toBe(1);
    expect(double.metrics.upgrades.filter((u) => u.accepted)).toHaveLength(1);
    await expect(connection.sendCommand('say hi')).rejects.toMatchObject({ code: 'stopped' });
  });

  it('after the server is suspended (socket dropped, then 409 / 4409)', async () => {
    const { double, server, connection } = await setup();
    connection.start();
    await connection.waitForReady(5000);
    server.suspend();
    await waitFor(() => connection.connectionState.kind === 'stopped', 5000, 'stopped');
    expect(connection.connectionState).toMatchObject({ code: 'suspended' });
    const tokenRequests = double.metrics.wsTokenRequests(server.identifier);
    const upgrades = double.metrics.upgrades.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(double.metrics.wsTokenRequests(server.identifier)).toBe(tokenRequests);
    expect(double.metrics.upgrades.length).toBe(upgrades);
  });

  it('after the server is deleted', async () => {
    const { server, connection } = await setup();
    connection.start();
    await connection.waitForReady(5000);
    server.remove();
    await waitFor(() => connection.connectionState.kind === 'stopped', 5000, 'stopped');
    expect(connection.connectionState).toMatchObject({ code: 'deleted' });
  });
});

describe('Origin', () => {
  it('always sends the panel URL as Origin, which is what the double insists on', async () => {
    const { double, server, connection } = await setup();
    connection.start();
    await connection.waitForReady(5000);
    // Control: a client without Origin is refused by the double.
    const bare = new WebSocket(`ws://127.0.0.1:${double.port}/api/servers/${server.uuid}/ws`);
    const status = await new Promise<number>((resolve) => {
      bare.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      bare.on('open', () => resolve(101));
      bare.on('error', () => undefined);
    });
    bare.terminate();
    expect(status).toBe(403);
    const upgrades = double.metrics.upgrades;
    expect(upgrades.filter((u) => u.reason === 'origin missing')).toHaveLength(1);
    expect(upgrades.filter((u) => u.accepted)).toHaveLength(1);
    expect(upgrades.every((u) => u.accepted || u.reason === 'origin missing')).toBe(true);
  });

  it('stops with origin_rejected when Wings expects another Origin', async () => {
    const { double, connection } = await setup({ connection: { panelUrl: 'https://panel.elsewhere.example' } });
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'stopped', 5000, 'stopped');
    expect(connection.connectionState).toMatchObject({ code: 'origin_rejected' });
    expect(double.metrics.upgrades).toHaveLength(1);
  });
});

describe('requests Wings would ignore are refused up front', () => {
  it('a command without control.console', async () => {
    const { double, server, connection } = await setup({
      permissions: ['websocket.connect', 'control.start', 'control.stop'],
    });
    connection.start();
    await connection.waitForReady(5000);
    const error = await connection.sendCommand('say hi').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'missing_permission' });
    expect((error as { userMessage: string }).userMessage).toMatch(/not allowed to send console commands/);
    await expect(connection.setState('restart')).rejects.toMatchObject({ code: 'missing_permission' });
    await connection.requestStats(); // a marker that does reach Wings, after the refused requests
    await waitFor(() => received(double, server.uuid, 'send stats').length === 1);
    expect(received(double, server.uuid, 'send command')).toHaveLength(0);
    expect(received(double, server.uuid, 'set state')).toHaveLength(0);
  });

  it('a command while the server is offline', async () => {
    const { double, server, connection } = await setup({ state: 'offline' });
    connection.start();
    await connection.waitForReady(5000);
    await waitFor(() => connection.serverState === 'offline', 5000, 'the initial status');
    await expect(connection.sendCommand('say hi')).rejects.toMatchObject({ code: 'offline' });
    await connection.requestStats();
    await waitFor(() => received(double, server.uuid, 'send stats').length === 1);
    expect(received(double, server.uuid, 'send command')).toHaveLength(0);
  });

  it('an over-long command, measured as the encoded frame', async () => {
    const { double, server, connection } = await setup();
    const consoleLog = recordConsole(connection);
    connection.start();
    await connection.waitForReady(5000);
    // 2100 two-byte characters: under 4096 as a string length, over it on the wire.
    const wide = `say ${'é'.repeat(2100)}`;
    expect(wide.length).toBeLessThan(4096);
    await expect(connection.sendCommand(wide)).rejects.toMatchObject({ code: 'command_too_long' });
    await expect(connection.sendCommand(`say ${'x'.repeat(5000)}`)).rejects.toMatchObject({
      code: 'command_too_long',
    });
    // The longest command that fits is accepted and does not get the socket closed (1009).
    let fitting = 'say ';
    while (frameByteLength('send command', [`${fitting}x`]) <= 4096) fitting += 'x';
    await connection.sendCommand(fitting);
    await waitFor(() => consoleLog.lines.some((l) => l.includes('Unknown command')), 5000, 'the game’s reply');
    expect(received(double, server.uuid, 'send command').map((f) => f.args[0])).toEqual([fitting]);
    expect(connection.socketsOpened).toBe(1);
  });
});

describe('power, status and stats', () => {
  it('set state reaches Wings and status events come back', async () => {
    const { double, server, connection } = await setup({ state: 'offline' });
    const statuses: string[] = [];
    connection.on('status', (s) => statuses.push(s));
    connection.start();
    await connection.waitForReady(5000);
    await waitFor(() => connection.serverState === 'offline');
    await connection.setState('start');
    await waitFor(() => statuses.includes('running'), 5000, 'running');
    expect(statuses).toEqual(['offline', 'starting', 'running']);
    expect(received(double, server.uuid, 'set state').map((f) => f.args)).toEqual([['start']]);
    await connection.setState('stop');
    await waitFor(() => connection.serverState === 'offline', 5000, 'offline again');
    expect(statuses.slice(-2)).toEqual(['stopping', 'offline']);
  });

  it('parses stats into bytes, percent and milliseconds, and keeps the state from them', async () => {
    const { server, connection } = await setup({ state: 'offline' });
    const stats: Array<import('../src/wings/protocol.ts').WingsStats> = [];
    connection.on('stats', (s) => stats.push(s));
    connection.start();
    await connection.waitForReady(5000);
    server.setStats({
      memoryBytes: 123_456_789,
      cpuAbsolute: 153.125,
      rxBytes: 1024,
      txBytes: 2048,
      diskBytes: 5_000_000,
    });
    const before = stats.length;
    await connection.requestStats();
    await waitFor(() => stats.length > before, 5000, 'the requested stats');
    const raw = JSON.parse(server.sim.statsJson()) as Record<string, number> & { network: Record<string, number> };
    expect(stats.at(-1)).toEqual({
      state: 'offline',
      memoryBytes: 123_456_789,
      memoryLimitBytes: raw.memory_limit_bytes,
      cpuAbsolute: 153.125,
      diskBytes: 5_000_000,
      networkRxBytes: 1024,
      networkTxBytes: 2048,
      uptimeMs: 0,
    });
    expect(raw.memory_limit_bytes).toBeGreaterThan(1024 * 1_000_000); // Wings' overhead on top of the panel's MB
    expect(connection.lastStats).toEqual(stats.at(-1));
    expect(connection.serverState).toBe('offline');
  });
});

describe('other events', () => {
  it('passes install, backup, transfer and daemon events through, typed', async () => {
    const { server, connection } = await setup({ state: 'offline' });
    const seen: string[] = [];
    connection.on('install', (e, a) => seen.push(`install:${e}:${a}`));
    connection.on('backup', (e, a) => seen.push(`backup:${e}:${a}`));
    connection.on('transfer', (e, a) => seen.push(`transfer:${e}:${a}`));
    connection.on('daemonMessage', (m) => seen.push(`message:${m}`));
    connection.on('daemonError', (m) => seen.push(`error:${m}`));
    connection.start();
    await connection.waitForReady(5000);
    server.publishEvent('install started', ['']);
    server.publishEvent('daemon message', ['Installation process completed.']);
    server.publishEvent('backup completed', ['{"uuid":"b1","is_successful":true}']);
    server.publishEvent('transfer status', ['processing']);
    server.publishEvent('daemon error', ['Error Event [x]: boom']);
    await waitFor(() => seen.length === 5, 5000, 'five events');
    expect(seen).toEqual([
      'install:install started:',
      'message:Installation process completed.',
      'backup:backup completed:{"uuid":"b1","is_successful":true}',
      'transfer:transfer status:processing',
      'error:Error Event [x]: boom',
    ]);
  });
});

describe('client-side limits', () => {
  it('queue a burst of 30 commands so the double never throttles', async () => {
    const { double, server, connection } = await setup();
    const throttled: string[] = [];
    connection.on('throttled', (w) => throttled.push(w));
    connection.start();
    await connection.waitForReady(5000);
    const commands = Array.from({ length: 30 }, (_, i) => `say ${i}`);
    await Promise.all(commands.map((c) => connection.sendCommand(c)));
    await waitFor(() => received(double, server.uuid, 'send command').length === 30, 5000, 'all commands');
    expect(received(double, server.uuid, 'send command').map((f) => f.args[0])).toEqual(commands);
    await connection.requestStats();
    await waitFor(() => received(double, server.uuid, 'send stats').length === 1);
    expect(double.metrics.sent(server.uuid).byEvent.throttled).toBeUndefined();
    expect(throttled).toEqual([]);
  });

  it('without them the same burst is throttled (the check above can fail)', async () => {
    const { double, server, connection } = await setup({ connection: { limits: { enabled: false } } });
    const throttled: string[] = [];
    connection.on('throttled', (w) => throttled.push(w));
    connection.start();
    await connection.waitForReady(5000);
    await Promise.all(Array.from({ length: 30 }, (_, i) => connection.sendCommand(`say ${i}`)));
    await waitFor(() => throttled.length > 0, 5000, 'a throttled notice');
    expect(double.metrics.sent(server.uuid).byEvent.throttled).toBeGreaterThan(0);
  });
});
