import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  frameByteLength,
  hasPermission,
  isRefreshableJwtError,
  jwtExpiry,
  jwtIssuedAt,
  POWER_PERMISSION,
  parseFrame,
  parseStats,
  WingsProtocolError,
} from '../src/wings/protocol.ts';

describe('parseFrame', () => {
  const ok: Array<[string, string, { event: string; args: string[] }]> = [
    ['plain', '{"event":"status","args":["running"]}', { event: 'status', args: ['running'] }],
    ['missing args', '{"event":"auth success"}', { event: 'auth success', args: [] }],
    ['null args', '{"event":"auth success","args":null}', { event: 'auth success', args: [] }],
    ['null element becomes ""', '{"event":"deleted","args":[null,"x"]}', { event: 'deleted', args: ['', 'x'] }],
    ['empty string kept', '{"event":"install started","args":[""]}', { event: 'install started', args: [''] }],
    ['case-insensitive fields', '{"EVENT":"status","Args":["offline"]}', { event: 'status', args: ['offline'] }],
    ['extra fields ignored', '{"event":"x","args":[],"id":3}', { event: 'x', args: [] }],
    ['several args', '{"event":"console output","args":["a","b"]}', { event: 'console output', args: ['a', 'b'] }],
  ];
  it.each(ok)('%s', (_name, input, expected) => {
    expect(parseFrame(input)).toEqual(expected);
  });

  const bad: Array<[string, string]> = [
    ['invalid JSON', '{"event":'],
    ['not an object', '["status"]'],
    ['JSON null', 'null'],
    ['no event', '{"args":["x"]}'],
    ['non-string event', '{"event":3}'],
    ['empty event', '{"event":""}'],
    ['args not an array', '{"event":"status","args":"running"}'],
    ['number arg', '{"event":"console output","args":[1]}'],
    ['object arg', '{"event":"console output","args":[{"a":1}]}'],
  ];
  it.each(bad)('rejects %s', (_name, input) => {
    expect(() => parseFrame(input)).toThrow(WingsProtocolError);
  });
});

describe('encodeFrame', () => {
  it('omits empty args and keeps given ones', () => {
    expect(encodeFrame('send stats')).toBe('{"event":"send stats"}');
    expect(encodeFrame('send logs', [])).toBe('{"event":"send logs"}');
    expect(encodeFrame('set state', ['start'])).toBe('{"event":"set state","args":["start"]}');
  });

  it('measures the encoded frame in UTF-8 bytes, not string length', () => {
    const command = 'say ünïcødé "quoted" \\ 🎉';
    const encoded = encodeFrame('send command', [command]);
    expect(frameByteLength('send command', [command])).toBe(Buffer.byteLength(encoded));
    expect(frameByteLength('send command', [command])).toBeGreaterThan(encoded.length);
    // Escapes count too: a quote costs two bytes on the wire.
    expect(frameByteLength('send command', ['"'])).toBe(frameByteLength('send command', ['a']) + 1);
  });
});

describe('parseStats', () => {
  const pushed =
    '{"memory_bytes":524288000,"memory_limit_bytes":1178599424,"cpu_absolute":153.125,' +
    '"network":{"rx_bytes":1024,"tx_bytes":2048},"uptime":61000,"state":"running","disk_bytes":3000000}';

  it('maps Wings units to named fields', () => {
    expect(parseStats(pushed)).toEqual({
      state: 'running',
      memoryBytes: 524288000,
      memoryLimitBytes: 1178599424,
      cpuAbsolute: 153.125,
      diskBytes: 3000000,
      networkRxBytes: 1024,
      networkTxBytes: 2048,
      uptimeMs: 61000,
    });
  });

  it('does not depend on key order and ignores extra fields (Pelican disk_io)', () => {
    const reordered =
      '{"state":"offline","uptime":0,"disk_bytes":1,"network":{"tx_bytes":0,"rx_bytes":0},' +
      '"cpu_absolute":0,"memory_limit_bytes":5,"memory_bytes":0,"disk_io":{"read_bytes":1,"write_bytes":2}}';
    expect(parseStats(reordered)).toMatchObject({ state: 'offline', diskBytes: 1, memoryLimitBytes: 5 });
  });

  const bad: Array<[string, string]> = [
    ['not JSON', 'running'],
    ['array', '[1]'],
    ['unknown state', '{"state":"exploding","memory_bytes":0,"cpu_absolute":0}'],
    ['string memory', '{"state":"running","memory_bytes":"1","cpu_absolute":0}'],
    ['missing cpu', '{"state":"running","memory_bytes":1}'],
    ['network not object', '{"state":"running","memory_bytes":1,"cpu_absolute":0,"network":3}'],
  ];
  it.each(bad)('rejects %s', (_name, input) => {
    expect(() => parseStats(input)).toThrow(WingsProtocolError);
  });
});

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe('jwtExpiry', () => {
  it.each([
    ['exp present', jwt({ exp: 1700000600, iat: 1700000000 }), 1700000600],
    ['no exp', jwt({ iat: 1 }), undefined],
    ['string exp', jwt({ exp: '1700000600' }), undefined],
    ['two parts', 'a.b', undefined],
    ['garbage payload', 'a.!!!.c', undefined],
    ['payload not an object', `x.${Buffer.from('[1]').toString('base64url')}.y`, undefined],
    ['empty', '', undefined],
  ])('%s', (_name, token, expected) => {
    expect(jwtExpiry(token)).toBe(expected);
  });

  it('reads iat alongside', () => {
    expect(jwtIssuedAt(jwt({ exp: 10, iat: 4 }))).toBe(4);
  });
});

describe('hasPermission', () => {
  it.each([
    [['*'], 'control.console', true],
    [['*'], 'websocket.connect', true],
    [['*'], 'admin.websocket.errors', false],
    [['*', 'admin.websocket.errors'], 'admin.websocket.errors', true],
    [['control.console'], 'control.console', true],
    [['control.console'], 'control.start', false],
    [[], 'control.console', false],
    [['websocket.connect'], 'control.stop', false],
  ])('%j grants %s: %s', (granted, wanted, expected) => {
    expect(hasPermission(granted, wanted)).toBe(expected);
  });

  it('maps power actions to their permissions', () => {
    expect(POWER_PERMISSION).toEqual({
      start: 'control.start',
      stop: 'control.stop',
      kill: 'control.stop',
      restart: 'control.restart',
    });
  });
});

describe('isRefreshableJwtError', () => {
  it.each([
    ['jwt: exp claim is invalid', true],
    ['Error Event [abc]: jwt: exp claim is invalid', true],
    ['JWT: EXP CLAIM IS INVALID', true],
    ['Error Event [x]: jwt: created too far in past (denylist)', true],
    ['jwt: missing connect permission', false],
    ['jwt: server uuid mismatch', false],
    ['jwt: no jwt present', false],
  ])('%s → %s', (text, expected) => {
    expect(isRefreshableJwtError(text)).toBe(expected);
  });
});
