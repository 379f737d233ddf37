/**
 * WingsConnection against a tiny raw websocket server: the frames and closes the panel+Wings double cannot produce
 * (malformed input, 4409, refused upgrades, missing pongs), and the order of what we send.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { WingsConnection, type WingsConnectionOptions } from '../src/wings/connection.ts';
import type { ConnectionState } from '../src/wings/types.ts';
import { captureLog, FakeCredentials, type RawWings, startRawWings, waitFor } from './wings-support.ts';

const PANEL = 'http://panel.test';
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function frame(event: string, args?: string[]): string {
  return JSON.stringify(args === undefined ? { event } : { event, args });
}

/** Answers auth with auth success (then status running), like Wings, and lets the test script the rest. */
function authing(after?: (ws: WebSocket, index: number) => void) {
  return (ws: WebSocket, index: number) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { event: string };
      if (msg.event === 'auth') {
        ws.send(frame('auth success'));
        ws.send(frame('status', ['running']));
        after?.(ws, index);
      }
    });
  };
}

async function setup(
  onSocket: (ws: WebSocket, index: number) => void,
  options: Partial<WingsConnectionOptions> = {},
  raw: { httpStatus?: number; autoPong?: boolean } = {},
) {
  const wings = await startRawWings(onSocket, raw);
  const creds = new FakeCredentials(() => wings.url);
  const log = captureLog();
  const states: ConnectionState[] = [];
  const connection = new WingsConnection({
    serverId: 'abcd1234',
    panelUrl: PANEL,
    credentials: creds,
    logger: log.logger,
    backoff: { initialMs: 20, maxMs: 100 },
    limits: { scale: 0.01 },
    ...options,
  });
  connection.on('state', (s) => states.push(s));
  cleanup.push(() => wings.close());
  cleanup.push(() => connection.close());
  return { wings, creds, log, connection, states };
}

function upgradesOf(wings: RawWings): number {
  return wings.upgrades.length;
}

describe('WingsConnection (raw server)', () => {
  it('sends Origin, offers no compression, sends auth first and nothing else before auth success', async () => {
    let release: (() => void) | undefined;
    const { wings, connection, creds } = await setup((ws) => {
      ws.once('message', () => {
        release = () => ws.send(frame('auth success'));
      });
    });
    connection.start();
    await waitFor(() => release !== undefined, 5000, 'auth frame');
    expect(wings.upgrades).toEqual([{ origin: PANEL, extensions: undefined }]);
    await expect(connection.requestStats()).rejects.toMatchObject({ code: 'not_ready' });
    expect(wings.received[0]).toEqual([frame('auth', [creds.tokens[0]!])]);
    release!();
    await connection.waitForReady(5000);
    await connection.requestStats();
    await waitFor(() => wings.received[0]!.length === 2);
    expect(wings.received[0]![1]).toBe(frame('send stats'));
  });

  it('logs and skips malformed frames without crashing, and never logs the token', async () => {
    const lines: string[] = [];
    const { connection, log, creds } = await setup(
      authing((ws) => {
        for (const bad of [
          frame('stats', ['not json']),
          frame('no such event', ['x']),
          '{"event":',
          '[1,2]',
          frame('console output', [1 as unknown as string]),
          '{"event":"console output","args":"not-an-array"}',
          frame('stats', [JSON.stringify({ state: 'running', memory_bytes: 'lots', cpu_absolute: 1 })]),
          frame('status', ['exploding']),
          '{"event":"console output","args":[null]}',
        ]) {
          ws.send(bad);
        }
        ws.send(Buffer.from([1, 2, 3]), { binary: true });
        ws.send(frame('console output', ['after', 'the storm']));
      }),
    );
    connection.on('console', (line) => lines.push(line));
    connection.on('console', (line) => {
      if (line === '') throw new Error('listener bug');
    });
    connection.start();
    await waitFor(() => lines.includes('the storm'), 5000, 'the valid line after the bad ones');
    expect(lines).toEqual(['', 'after', 'the storm']);
    expect(connection.connectionState.kind).toBe('ready');
    expect(connection.serverState).toBe('running');
    const warnings = log.lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toContain('malformed frame skipped');
    expect(warnings).toContain('unknown event skipped');
    expect(warnings).toContain('malformed stats skipped');
    expect(log.lines.some((l) => l.msg === 'wings event listener threw')).toBe(true);
    // Rate-limited per connection: 5 per window, the rest counted.
    expect(warnings.length).toBeLessThanOrEqual(5);
    expect(log.text()).not.toContain(creds.tokens[0]!);
  });

  it('stops for good on close code 4409 (suspended)', async () => {
    const { wings, connection, states, creds } = await setup(authing((ws) => ws.close(4409, 'server is suspended')));
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'stopped');
    expect(connection.connectionState).toMatchObject({ kind: 'stopped', code: 'suspended' });
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'ready', 'stopped']);
    expect(upgradesOf(wings)).toBe(1);
    expect(creds.tokenCalls).toBe(1);
    await expect(connection.sendCommand('say hi')).rejects.toMatchObject({ code: 'stopped' });
  });

  it.each([
    [403, 'origin_rejected'],
    [404, 'server_not_found'],
  ])('stops on HTTP %i at upgrade (%s) without retrying', async (status, code) => {
    const { wings, connection, creds } = await setup(() => undefined, {}, { httpStatus: status });
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'stopped');
    expect(connection.connectionState).toMatchObject({ code });
    expect(upgradesOf(wings)).toBe(1);
    expect(creds.tokenCalls).toBe(1);
  });

  it('retries other upgrade refusals (HTTP 400: too many sockets) with backoff', async () => {
    const { wings, connection } = await setup(() => undefined, {}, { httpStatus: 400 });
    connection.start();
    await waitFor(() => upgradesOf(wings) >= 3, 5000, 'three attempts');
    expect(connection.connectionState.kind).not.toBe('stopped');
  });

  it('treats missing pongs as a drop and reconnects', async () => {
    const { wings, connection } = await setup(
      authing(),
      { pingIntervalMs: 30, missedPongLimit: 2 },
      { autoPong: false },
    );
    connection.start();
    await waitFor(() => upgradesOf(wings) >= 2, 5000, 'a reconnect after missing pongs');
    await connection.waitForReady(5000);
  });

  it('keeps a socket whose pongs arrive', async () => {
    const { wings, connection } = await setup(authing(), { pingIntervalMs: 20, missedPongLimit: 2 });
    connection.start();
    await connection.waitForReady(5000);
    let pings = 0;
    wings.sockets[0]!.on('ping', () => {
      pings += 1;
    });
    await waitFor(() => pings >= 6, 5000, 'six pings');
    expect(upgradesOf(wings)).toBe(1);
  });

  it('drops and retries when auth success never comes', async () => {
    const { wings, connection, creds } = await setup(() => undefined, { authTimeoutMs: 50 });
    connection.start();
    await waitFor(() => upgradesOf(wings) >= 2, 5000, 'a second attempt');
    expect(creds.tokenCalls).toBeGreaterThanOrEqual(2);
    expect(connection.connectionState.kind).not.toBe('ready');
  });

  it('stops on `deleted`', async () => {
    const { connection } = await setup(authing((ws) => ws.send(frame('deleted', ['null']))));
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'stopped');
    expect(connection.connectionState).toMatchObject({ code: 'deleted' });
  });

  it('stops on a fatal jwt error and refreshes on an expiry one', async () => {
    let complained = false;
    const { connection, creds, wings } = await setup(
      authing((ws) => {
        if (complained) return;
        complained = true;
        ws.send(frame('jwt error', ['jwt: created too far in past (denylist)']));
      }),
      { staleComplaintGraceMs: 0 },
    );
    connection.start();
    await waitFor(() => (wings.received[0]?.length ?? 0) >= 2, 5000, 'a second auth on the same socket');
    expect(creds.tokenCalls).toBe(2);
    expect(wings.received[0]![1]).toBe(frame('auth', [creds.tokens[1]!]));
    wings.sockets[0]!.send(frame('jwt error', ['jwt: server uuid mismatch']));
    await waitFor(() => connection.connectionState.kind === 'stopped');
    expect(connection.connectionState).toMatchObject({ code: 'jwt_fatal' });
    expect(upgradesOf(wings)).toBe(1);
  });

  it('reconnects with fresh credentials when a transfer completes', async () => {
    let readies = 0;
    const { connection, creds, wings } = await setup(
      authing((ws, index) => {
        if (index === 0) ws.send(frame('transfer status', ['completed']));
      }),
    );
    connection.on('ready', () => {
      readies += 1;
    });
    connection.start();
    await waitFor(() => readies === 2, 5000, 'ready on the new node');
    expect(upgradesOf(wings)).toBe(2);
    expect(creds.tokenCalls).toBe(2);
  });

  it('stops without retrying when the panel rejects the key', async () => {
    const { connection, creds, wings } = await setup(() => undefined);
    creds.tokenFailure = { kind: 'invalid_key', status: 401, userMessage: 'The API key is invalid or was revoked.' };
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'stopped');
    expect(connection.connectionState).toMatchObject({
      code: 'invalid_key',
      reason: 'The API key is invalid or was revoked.',
    });
    expect(creds.tokenCalls).toBe(1);
    expect(upgradesOf(wings)).toBe(0);
  });

  it('waits at least Retry-After when the panel rate-limits the token endpoint', async () => {
    const { connection, creds } = await setup(authing());
    creds.tokenFailure = { kind: 'rate_limited', status: 429, retryAfterMs: 300 };
    const started = Date.now();
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'retrying');
    const state = connection.connectionState as Extract<ConnectionState, { kind: 'retrying' }>;
    expect(state.nextAttemptAt - started).toBeGreaterThanOrEqual(300);
    creds.tokenFailure = undefined;
    await connection.waitForReady(5000);
    expect(creds.tokenCalls).toBe(2);
  });

  it('refuses commands it knows Wings would ignore, before anything is sent', async () => {
    const { connection, creds, wings } = await setup(authing());
    creds.permissions = ['websocket.connect', 'control.start'];
    connection.start();
    await connection.waitForReady(5000);
    await expect(connection.sendCommand('say hi')).rejects.toMatchObject({ code: 'missing_permission' });
    await expect(connection.setState('stop')).rejects.toMatchObject({ code: 'missing_permission' });
    await expect(connection.sendCommand('')).rejects.toMatchObject({ code: 'invalid_command' });
    await expect(connection.sendCommand('say a\nop me')).rejects.toMatchObject({ code: 'invalid_command' });
    await connection.setState('start');
    await waitFor(() => wings.received[0]!.length === 2);
    expect(wings.received[0]![1]).toBe(frame('set state', ['start']));
  });
});
