/**
 * Bad-input catalogue, Wings side: hostile frames from a raw websocket server posing as Wings (it can send what the
 * double never would), read by the real WingsConnection. For each: the exact structured log line an operator sees (or
 * none), the console lines that still come through, and that the connection stays up. No log line ever carries the
 * hostile frame's text (a marker planted in every frame is searched for). test/wings-connection.test.ts covers the same
 * parser in bulk; this table pins one outcome per input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { WingsConnection } from '../src/wings/connection.ts';
import { captureLog, FakeCredentials, startRawWings, waitFor } from './wings-support.ts';

const MARKER = 'HOSTILE-MARKER-7f3a';
const frame = (event: string, args?: unknown[]) => JSON.stringify(args === undefined ? { event } : { event, args });
const stats = (fields: Record<string, unknown>) =>
  JSON.stringify({
    memory_bytes: 1,
    memory_limit_bytes: 2,
    cpu_absolute: 0.5,
    network: { rx_bytes: 1, tx_bytes: 2 },
    uptime: 10,
    state: 'running',
    disk_bytes: 3,
    ...fields,
  });

interface Case {
  what: string;
  /** Sent after auth success; strings as text frames, Buffers as binary frames. */
  send: Array<string | Buffer>;
  /** The warn-level log line expected (message and fields), or null for none. */
  log: { msg: string; fields: Record<string, unknown> } | null;
  /** Console lines delivered (before the "after" sentinel). */
  console?: string[];
  /** Further warn-level messages expected after the first. */
  also?: string[];
  /** How the connection ends up. */
  state?: 'ready' | 'stopped';
}

/** 100 KiB; the marker sits past the 64 characters a log line may quote. */
const bigName = `${'e'.repeat(64)}${MARKER}${'e'.repeat(100_000)}`;
const cases: Case[] = [
  {
    what: 'truncated JSON',
    send: [`{"event":"console output","args":["${MARKER}`],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame is not valid JSON', bytes: 54 } },
  },
  {
    what: 'a JSON array instead of an object',
    send: [`["${MARKER}"]`],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame is not a JSON object' } },
  },
  {
    what: 'JSON null',
    send: ['null'],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame is not a JSON object', bytes: 4 } },
  },
  {
    what: 'no event name',
    send: [JSON.stringify({ args: [MARKER] })],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame has no event name' } },
  },
  {
    what: 'an empty event name',
    send: [frame('', [MARKER])],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame has no event name' } },
  },
  {
    what: 'args as a string',
    send: [JSON.stringify({ event: 'console output', args: MARKER })],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame "console output" has non-array args' } },
  },
  {
    what: 'a number among the args (Go drops the whole message)',
    send: [frame('console output', ['fine', 42, MARKER])],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame "console output" has a non-string arg' } },
  },
  {
    what: 'an object among the args',
    send: [frame('console output', [{ text: MARKER }])],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame "console output" has a non-string arg' } },
  },
  {
    what: 'a null arg (Go decodes it as "")',
    send: [frame('console output', [null])],
    log: null,
    console: [''],
  },
  {
    what: 'a 100 KiB event name with non-array args (the reason stays short)',
    send: [JSON.stringify({ event: bigName, args: 'x' })],
    log: {
      msg: 'malformed frame skipped',
      fields: { reason: `frame "${bigName.slice(0, 64)}…" has non-array args`, bytes: bigName.length + 23 },
    },
  },
  {
    what: 'non-JSON stats',
    send: [frame('stats', [`<html>${MARKER}</html>`])],
    log: { msg: 'malformed stats skipped', fields: { reason: 'stats payload is not valid JSON', bytes: 32 } },
  },
  {
    what: 'stats as a JSON array',
    send: [frame('stats', ['[1,2,3]'])],
    log: { msg: 'malformed stats skipped', fields: { reason: 'stats payload is not a JSON object', bytes: 7 } },
  },
  {
    what: 'stats with a string where a number belongs',
    send: [frame('stats', [stats({ memory_bytes: MARKER })])],
    log: { msg: 'malformed stats skipped', fields: { reason: 'stats field "memory_bytes" is not a number' } },
  },
  {
    what: 'stats with an unknown state',
    send: [frame('stats', [stats({ state: MARKER })])],
    log: { msg: 'malformed stats skipped', fields: { reason: 'stats payload has no valid state' } },
  },
  {
    what: 'stats with NaN-like numbers (1e999 parses as Infinity)',
    send: ['{"event":"stats","args":["{\\"memory_bytes\\":1e999,\\"state\\":\\"running\\"}"]}'],
    log: { msg: 'malformed stats skipped', fields: { reason: 'stats field "memory_bytes" is not a number' } },
  },
  {
    what: 'a status that is not a state',
    send: [frame('status', [MARKER])],
    log: { msg: 'status frame with unknown state skipped', fields: { length: MARKER.length } },
  },
  {
    what: 'an unknown event',
    send: [frame('launch missiles', [MARKER, 'b'])],
    log: { msg: 'unknown event skipped', fields: { event: 'launch missiles', args: 2 } },
  },
  {
    what: 'an unknown event with a 100 KiB name (logged cut to 64 characters)',
    send: [frame(bigName, [])],
    log: { msg: 'unknown event skipped', fields: { event: bigName.slice(0, 64), args: 0 } },
  },
  {
    what: "Pelican's feature match (known, ignored quietly)",
    send: [frame('feature match', [JSON.stringify({ key: 'eula', pattern: MARKER, line: MARKER })])],
    log: null,
  },
  {
    what: 'a binary frame',
    send: [Buffer.from(`${MARKER}\u0000\u0001\u0002`)],
    log: { msg: 'binary frame skipped', fields: { bytes: MARKER.length + 3 } },
  },
  {
    what: 'a 1 MiB text frame of garbage',
    send: [`${MARKER}${'#'.repeat(1024 * 1024 - MARKER.length)}`],
    log: { msg: 'malformed frame skipped', fields: { reason: 'frame is not valid JSON', bytes: 1024 * 1024 } },
  },
  {
    what: 'a 64 KiB console line (delivered whole; the feed splits it)',
    send: [frame('console output', ['y'.repeat(64 * 1024)])],
    log: null,
    console: ['y'.repeat(64 * 1024)],
  },
  {
    what: 'a console line with embedded CR/LF (one line, as Wings rewrites " \\r")',
    send: [frame('console output', ['first\r\nsecond'])],
    log: null,
    console: ['first\r\nsecond'],
  },
  {
    what: 'several lines in one frame',
    send: [frame('console output', ['a', 'b', 'c'])],
    log: null,
    console: ['a', 'b', 'c'],
  },
  {
    what: 'a fatal jwt error stops the connection, logging Wings’ own sentence',
    send: [frame('jwt error', ['jwt: server uuid mismatch'])],
    log: { msg: 'fatal jwt error from wings', fields: { error: 'jwt: server uuid mismatch' } },
    also: ['wings connection stopped'],
    state: 'stopped',
  },
];

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('catalogue: hostile Wings frames', () => {
  it.each(cases)('$what', async (c) => {
    const wings = await startRawWings((ws: WebSocket) => {
      ws.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { event: string }).event !== 'auth') return;
        ws.send(frame('auth success'));
        ws.send(frame('status', ['running']));
        for (const item of c.send) ws.send(item, { binary: Buffer.isBuffer(item) });
        ws.send(frame('console output', ['after']));
      });
    });
    const log = captureLog();
    const connection = new WingsConnection({
      serverId: 'abcd1234',
      panelUrl: 'http://panel.test',
      credentials: new FakeCredentials(() => wings.url),
      logger: log.logger,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    cleanup.push(() => wings.close());
    cleanup.push(() => connection.close());
    const lines: string[] = [];
    connection.on('console', (line) => lines.push(line));
    connection.start();
    if (c.state === 'stopped') {
      await waitFor(() => connection.connectionState.kind === 'stopped', 5_000, 'the stop');
    } else {
      await waitFor(() => lines.includes('after'), 5_000, 'the sentinel line after the hostile frame');
      expect(lines.slice(0, -1)).toEqual(c.console ?? []);
      expect(connection.connectionState.kind).toBe('ready');
      expect(connection.serverState).toBe('running');
    }
    const warnings = log.lines.filter((l) => (l.level as number) >= 40);
    if (c.log === null) {
      expect(warnings).toEqual([]);
    } else {
      expect(warnings.map((w) => w.msg)).toEqual([c.log.msg, ...(c.also ?? [])]);
      expect(warnings[0]).toMatchObject({ msg: c.log.msg, ...c.log.fields });
    }
    // No log line carries the hostile text, or more than a few hundred characters of anything from the frame.
    expect(log.text()).not.toContain(MARKER);
    for (const line of log.lines) expect(JSON.stringify(line).length).toBeLessThan(2_000);
  });
});
