/**
 * Token lifecycle against the panel+Wings double with a real PanelClient: refresh on the same socket, refresh without
 * notices, recovery from denylisting and Wings restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PanelClient } from '../src/panel/index.ts';
import { WingsConnection, type WingsConnectionOptions } from '../src/wings/connection.ts';
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

const SCALE = 0.1;

async function setup(doubleOptions: PanelWingsDoubleOptions, options: Partial<WingsConnectionOptions> = {}) {
  const double: PanelWingsDouble = await startPanelWingsDouble({ limitRateScale: SCALE, ...doubleOptions });
  cleanup.push(() => double.close());
  const user = double.addUser();
  const server = double.addServer({ name: 'Survival', state: 'running' });
  const key = double.addApiKey({ user, servers: { [server.identifier]: ['*'] } });
  const log = captureLog();
  const states: ConnectionState[] = [];
  const connection = new WingsConnection({
    serverId: server.identifier,
    panelUrl: double.panelUrl,
    credentials: new PanelClient({ panelUrl: double.panelUrl, apiKey: key }),
    logger: log.logger,
    limits: { scale: SCALE },
    wsTokenLimit: { count: 100, perMs: 60_000 },
    backoff: { initialMs: 50, maxMs: 400 },
    ...options,
  });
  connection.on('state', (s) => states.push(s));
  cleanup.push(() => connection.close());
  await waitFor(() => server.state === 'running', 5000, 'the game to boot');
  return { double, server, user, key, connection, log, states };
}

/** Emits "n <i>" lines every `everyMs` until stopped. */
function numberedStream(emit: (line: string) => void, everyMs: number) {
  let n = 0;
  const timer = setInterval(() => emit(`n ${n++}`), everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return n;
    },
  };
}

describe('token refresh against the double', () => {
  it('refreshes a 3-second token ≥ 10 times on one socket without losing a console line', async () => {
    const { double, server, connection, log, states, key } = await setup(
      { tokenLifetimeSec: 3, expiryTickMs: 500, expiringWindowSec: 2, wsTokenPerMinute: 0 },
      {},
    );
    const consoleLog = recordConsole(connection);
    let readies = 0;
    connection.on('ready', () => {
      readies += 1;
    });
    connection.start();
    await connection.waitForReady(5000);
    const stream = numberedStream((line) => server.emitConsole(line), 20);
    await waitFor(() => connection.refreshes >= 10, 25_000, 'ten refreshes');
    const emitted = stream.stop();
    await waitFor(() => consoleLog.numbers('n ').length >= emitted, 5000, 'the last lines');
    expect(consoleLog.numbers('n ')).toEqual(Array.from({ length: emitted }, (_, i) => i));
    expect(double.metrics.upgrades.filter((u) => u.accepted)).toHaveLength(1);
    expect(connection.socketsOpened).toBe(1);
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'ready']);
    expect(readies).toBe(1); // a refresh's auth success is not a (re)connect
    const sent = double.metrics.sent(server.uuid).byEvent;
    expect(sent['jwt error']).toBeUndefined();
    expect(sent.throttled).toBeUndefined();
    // One auth per token: every refresh fetched exactly one token and sent exactly one auth.
    expect(double.metrics.authMessages(server.uuid)).toBe(double.metrics.wsTokenRequests(server.identifier));
    expect(log.text()).not.toContain(key);
    expect(log.text()).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 40_000);

  it('refreshes from exp when the expiry notice never comes', async () => {
    const { double, server, connection } = await setup({
      tokenLifetimeSec: 3,
      expiryTickMs: 1_000_000,
      wsTokenPerMinute: 0,
    });
    const consoleLog = recordConsole(connection);
    connection.start();
    await connection.waitForReady(5000);
    const stream = numberedStream((line) => server.emitConsole(line), 25);
    await waitFor(() => connection.refreshes >= 3, 15_000, 'three proactive refreshes');
    const emitted = stream.stop();
    await waitFor(() => consoleLog.numbers('n ').length >= emitted, 5000, 'the last lines');
    expect(consoleLog.numbers('n ')).toEqual(Array.from({ length: emitted }, (_, i) => i));
    const sent = double.metrics.sent(server.uuid).byEvent;
    expect(sent['token expiring']).toBeUndefined();
    expect(sent['jwt error']).toBeUndefined();
    expect(connection.socketsOpened).toBe(1);
  }, 30_000);

  it('refreshes on the expiry notice when it comes before the proactive timer', async () => {
    const { double, server, connection, log } = await setup(
      { tokenLifetimeSec: 3, expiryTickMs: 200, expiringWindowSec: 2, wsTokenPerMinute: 0 },
      { refreshLeadMs: 0 },
    );
    connection.start();
    await connection.waitForReady(5000);
    await waitFor(() => connection.refreshes >= 3, 15_000, 'three refreshes');
    const reasons = log.lines.filter((l) => l.msg === 'token refresh').map((l) => l.reason);
    expect(reasons).toContain('token expiring');
    expect(double.metrics.sent(server.uuid).byEvent['jwt error']).toBeUndefined();
    expect(connection.socketsOpened).toBe(1);
  }, 30_000);

  it('recovers on the same socket when the panel denylists the current token', async () => {
    const { double, server, user, connection } = await setup({ wsTokenPerMinute: 0 });
    const consoleLog = recordConsole(connection);
    connection.start();
    await connection.waitForReady(5000);
    double.faults.denyUserTokens(server.uuid, user.uuid);
    // The next outbound message is replaced by a denylist jwt error; we refresh and the stream resumes.
    server.emitConsole('lost to the denylist');
    await waitFor(() => connection.refreshes === 1, 5000, 'a refresh');
    server.emitConsole('after refresh');
    await waitFor(() => consoleLog.lines.includes('after refresh'), 5000, 'the line after the refresh');
    expect(double.metrics.sent(server.uuid).byEvent['jwt error']).toBeGreaterThanOrEqual(1);
    expect(connection.socketsOpened).toBe(1);
    expect(connection.connectionState.kind).toBe('ready');
  });

  it('recovers from a Wings restart (old tokens denylisted) with fresh credentials', async () => {
    const { double, server, connection, states } = await setup({ wsTokenPerMinute: 5 }, { wsTokenLimit: undefined });
    const consoleLog = recordConsole(connection);
    let readies = 0;
    connection.on('ready', () => {
      readies += 1;
    });
    connection.start();
    await connection.waitForReady(5000);
    double.faults.restartWings();
    await waitFor(() => readies === 2, 5000, 'ready after the restart');
    server.emitConsole('after restart');
    await waitFor(() => consoleLog.lines.includes('after restart'));
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'ready', 'retrying', 'connecting', 'ready']);
    expect(double.metrics.wsTokenRequests(server.identifier)).toBe(2);
    expect(double.metrics.sent(server.uuid).byEvent['jwt error']).toBeUndefined();
  });
});
