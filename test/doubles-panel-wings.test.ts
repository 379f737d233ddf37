// Self-tests of the panel/Wings double: the protocol facts of /work/shared/protocol/wings.md the bot relies on,
// checked with a raw `ws` client and fetch (no bot code).
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeJwtHeader,
  decodeJwtPayload,
  type PanelWingsDouble,
  type PanelWingsDoubleOptions,
  type ServerHandle,
  startPanelWingsDouble,
} from './doubles/panel-wings/index.ts';
import { type Frame, WsProbe, waitFor } from './doubles/panel-wings/probe.ts';

const open: PanelWingsDouble[] = [];
const probes: WsProbe[] = [];
afterEach(async () => {
  for (const p of probes.splice(0)) p.close();
  for (const d of open.splice(0)) await d.close();
});

async function setup(
  options: PanelWingsDoubleOptions = {},
  serverOptions: Parameters<PanelWingsDouble['addServer']>[0] = {},
) {
  const double = await startPanelWingsDouble({ statsIntervalMs: 50, ...options });
  open.push(double);
  const server = double.addServer({ name: 'Survival', ...serverOptions });
  const key = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
  return { double, server, key };
}

function api(double: PanelWingsDouble, key: string, path: string, init: RequestInit = {}) {
  return fetch(`${double.panelUrl}/api/client${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${key}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...init.headers,
    },
    redirect: 'manual',
  });
}

async function credentials(double: PanelWingsDouble, key: string, server: ServerHandle) {
  const res = await api(double, key, `/servers/${server.identifier}/websocket`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { token: string; socket: string } }).data;
}

async function connect(double: PanelWingsDouble, url: string) {
  const probe = await WsProbe.open(url, double.panelUrl);
  probes.push(probe);
  return probe;
}

/** Opens a socket and authenticates; returns the probe positioned after auth success + status (+ stats). */
async function authed(double: PanelWingsDouble, key: string, server: ServerHandle) {
  const creds = await credentials(double, key, server);
  const probe = await connect(double, creds.socket);
  probe.send('auth', [creds.token]);
  await probe.next('auth success');
  await probe.next('status');
  return { probe, creds };
}

const err = (status: number, code: string, detail: string) => ({ errors: [{ code, status: String(status), detail }] });
const statsState = (f: Frame) => (JSON.parse(f.args?.[0] ?? '{}') as { state: string }).state;

describe('JWT and websocket credentials', () => {
  it('mints HS256 tokens with the panel claims and a ws:// socket URL on the full uuid', async () => {
    const { double, server, key } = await setup();
    const { token, socket } = await credentials(double, key, server);
    expect(socket).toBe(`ws://127.0.0.1:${double.port}/api/servers/${server.uuid}/ws`);
    const header = decodeJwtHeader(token);
    const claims = decodeJwtPayload(token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'HS256', jti: claims.jti });
    expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(claims).toMatchObject({
      iss: double.panelUrl,
      aud: [double.panelUrl],
      server_uuid: server.uuid,
      permissions: ['*'],
      scope: 'websocket',
    });
    const iat = claims.iat as number;
    expect(Number.isInteger(iat)).toBe(true);
    expect(claims.nbf).toBe(iat - 300);
    expect(claims.exp).toBe(iat + 600);
    expect(claims.unique_id).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(typeof claims.user_id).toBe('number');
    // jti is stable per user+server, not per token.
    const again = decodeJwtPayload((await credentials(double, key, server)).token);
    expect(again.jti).toBe(claims.jti);
  });

  it('pelican flavour: pacc_ keys, sha256 jti, no user_id', async () => {
    const { double, server, key } = await setup({ flavour: 'pelican' });
    expect(key).toMatch(/^pacc_[A-Za-z0-9]{43}$/);
    const claims = decodeJwtPayload((await credentials(double, key, server)).token);
    expect(claims.jti).toMatch(/^[0-9a-f]{64}$/);
    expect(claims.user_id).toBeUndefined();
  });
});

describe('upgrade checks', () => {
  it.each([
    ['missing', undefined],
    ['wrong', 'https://evil.example.com'],
    ['trailing slash', 'PANEL/'],
  ])('Origin %s → HTTP 403 Forbidden', async (_name, origin) => {
    const { double, server, key } = await setup();
    const { socket } = await credentials(double, key, server);
    const o = origin?.replace('PANEL', double.panelUrl);
    await expect(WsProbe.open(socket, o)).rejects.toMatchObject({ status: 403, body: 'Forbidden\n' });
    expect(double.metrics.upgrades.at(-1)).toMatchObject({ accepted: false, status: 403 });
  });

  it('allowed_origins admits an extra origin, "*" admits a missing one', async () => {
    const { double, server, key } = await setup({ allowedOrigins: ['https://bot.example'] });
    const { socket } = await credentials(double, key, server);
    probes.push(await WsProbe.open(socket, 'https://bot.example'));
    const star = await setup({ allowedOrigins: ['*'] });
    const creds = await credentials(star.double, star.key, star.server);
    probes.push(await WsProbe.open(creds.socket));
  });

  it('unknown uuid → 404 JSON before any upgrade', async () => {
    const { double } = await setup();
    const url = `ws://127.0.0.1:${double.port}/api/servers/00000000-0000-0000-0000-000000000000/ws`;
    await expect(WsProbe.open(url, double.panelUrl)).rejects.toMatchObject({
      status: 404,
      body: '{"error":"The requested resource does not exist on this instance."}',
    });
  });
});

describe('authentication', () => {
  it('first auth → auth success, status, one stats when offline; args omitted when empty', async () => {
    const { double, server, key } = await setup();
    const creds = await credentials(double, key, server);
    const probe = await connect(double, creds.socket);
    probe.send('auth', [creds.token]);
    await waitFor(() => probe.frames.length >= 3);
    expect(probe.frames[0]).toEqual({ event: 'auth success' });
    expect(probe.frames[1]).toEqual({ event: 'status', args: ['offline'] });
    expect(probe.frames[2]?.event).toBe('stats');
    expect(JSON.parse(probe.frames[2]?.args?.[0] ?? '')).toMatchObject({
      memory_bytes: 0,
      cpu_absolute: 0,
      network: { rx_bytes: 0, tx_bytes: 0 },
      uptime: 0,
      state: 'offline',
      memory_limit_bytes: 1024 * 1.15 * 1_000_000,
    });
  });

  it('no stats on first auth when the server is running', async () => {
    const { double, server, key } = await setup({ statsIntervalMs: 60_000 });
    await server.power('start');
    await waitFor(() => server.state === 'running');
    const { probe } = await authed(double, key, server);
    expect(probe.frames.slice(0, 2)).toEqual([{ event: 'auth success' }, { event: 'status', args: ['running'] }]);
  });

  it('events before auth → bare jwt error, nothing pushed', async () => {
    const { double, server, key } = await setup();
    const { socket } = await credentials(double, key, server);
    const probe = await connect(double, socket);
    probe.send('send stats');
    expect(await probe.next()).toEqual({ event: 'jwt error', args: ['jwt: no jwt present'] });
  });

  it('re-auth on the same socket → only auth success', async () => {
    const { double, server, key } = await setup({ statsIntervalMs: 60_000 });
    const { probe } = await authed(double, key, server);
    await probe.next('stats');
    const creds = await credentials(double, key, server);
    probe.send('auth', [creds.token]);
    probe.send('send stats');
    await probe.next('auth success');
    await probe.next('stats');
    expect(probe.frames.filter((f) => f.event === 'status')).toHaveLength(1);
  });

  it.each([
    ['bad signature', (t: string) => `${t.slice(0, -4)}AAAA`],
    ['malformed', () => 'not-a-jwt'],
  ])('%s → generic daemon error with Error Event prefix', async (_name, mangle) => {
    const { double, server, key } = await setup();
    const creds = await credentials(double, key, server);
    const probe = await connect(double, creds.socket);
    probe.send('auth', [mangle(creds.token)]);
    const f = await probe.next();
    expect(f.event).toBe('daemon error');
    expect(f.args?.[0]).toMatch(
      /^Error Event \[[0-9a-f-]{36}\]: an unexpected error was encountered while handling this request$/,
    );
  });

  it('auth args are concatenated', async () => {
    const { double, server, key } = await setup();
    const creds = await credentials(double, key, server);
    const probe = await connect(double, creds.socket);
    const t = creds.token;
    probe.send('auth', [t.slice(0, 10), t.slice(10)]);
    expect(await probe.next()).toEqual({ event: 'auth success' });
  });

  it('token for another server → auth success, then server uuid mismatch on everything', async () => {
    const { double, server, key } = await setup();
    const other = double.addServer({ name: 'Other' });
    const otherKey = double.addApiKey({ servers: { [other.identifier]: ['*'] } });
    const { socket } = await credentials(double, key, server);
    const { token } = await credentials(double, otherKey, other);
    const probe = await connect(double, socket);
    probe.send('auth', [token]);
    expect(await probe.next()).toEqual({ event: 'auth success' });
    expect(await probe.next()).toEqual({ event: 'jwt error', args: ['jwt: server uuid mismatch'] });
  });

  it('restartWings drops sockets and denylists older tokens; a new token works', async () => {
    const { double, server, key } = await setup();
    const { probe, creds } = await authed(double, key, server);
    double.faults.restartWings();
    expect(await probe.closed()).toBe(1006);
    const again = await connect(double, creds.socket);
    again.send('auth', [creds.token]);
    const f = await again.next();
    expect(f.event).toBe('jwt error');
    expect(f.args?.[0]).toMatch(/^Error Event \[[0-9a-f-]{36}\]: jwt: created too far in past \(denylist\)$/);
    const fresh = await credentials(double, key, server);
    again.send('auth', [fresh.token]);
    expect(await again.next()).toEqual({ event: 'auth success' });
  });
});

describe('token expiry', () => {
  it('sends token expiring, then replaces every outbound event with jwt errors after exp', async () => {
    const { double, server, key } = await setup({ tokenLifetimeSec: 2, expiryTickMs: 100, expiringWindowSec: 1 });
    const { probe } = await authed(double, key, server);
    await probe.next('token expiring', 4000);
    await probe.next((f) => f.event === 'jwt error' && f.args?.[0] === 'jwt: exp claim is invalid', 4000);
    // Output after expiry: each event replaced, not silenced.
    await server.power('start');
    const after = probe.pending();
    expect(after.every((f) => f.event === 'jwt error' || f.event === 'token expired')).toBe(true);
    probe.send('send stats');
    await waitFor(() => probe.pending().length > after.length + 1);
    expect(probe.pending().some((f) => f.event === 'stats' || f.event === 'status')).toBe(false);
  });
});

describe('requests on an authenticated socket', () => {
  it('missing permissions are silently ignored (set state, send command)', async () => {
    const { double, server } = await setup({ statsIntervalMs: 60_000 });
    const user = double.addUser();
    const key = double.addApiKey({ user, servers: { [server.identifier]: ['websocket.connect'] } });
    const { probe } = await authed(double, key, server);
    await probe.next('stats');
    probe.send('set state', ['start']);
    probe.send('send command', ['say hi']);
    probe.send('send stats');
    await probe.next('stats');
    expect(probe.pending()).toEqual([]);
    expect(server.state).toBe('offline');
  });

  it('power: start offline→starting→running, stop running→stopping→offline, one zeroed stats', async () => {
    const { double, server, key } = await setup({ statsIntervalMs: 20 });
    const { probe } = await authed(double, key, server);
    probe.send('set state', ['start']);
    expect((await probe.next('status')).args).toEqual(['starting']);
    await probe.next((f) => f.event === 'console output' && f.args?.[0]?.startsWith('Done (') === true);
    expect((await probe.next('status')).args).toEqual(['running']);
    await probe.next((f) => f.event === 'stats' && statsState(f) === 'running');
    probe.send('set state', ['stop']);
    expect((await probe.next('status')).args).toEqual(['stopping']);
    expect((await probe.next('status')).args).toEqual(['offline']);
    const zero = JSON.parse((await probe.next('stats')).args?.[0] ?? '');
    expect(zero).toMatchObject({ state: 'offline', memory_bytes: 0, cpu_absolute: 0, uptime: 0 });
  });

  it('daemon pre-start lines are formatted exactly and precede status starting', async () => {
    const { double, server, key } = await setup();
    const { probe } = await authed(double, key, server);
    probe.skipAll();
    probe.send('set state', ['start']);
    const first = await probe.next();
    expect(first).toEqual({
      event: 'console output',
      args: ['\u001b[33m\u001b[1m[Pterodactyl Daemon]:\u001b[39m Updating process configuration files...\u001b[0m'],
    });
  });

  it('start while running: generic error, real text for admin.websocket.errors; lock error for everyone', async () => {
    const { double, server, key } = await setup({}, { stopDelayMs: null });
    await server.power('start');
    await waitFor(() => server.state === 'running');
    const { probe } = await authed(double, key, server);
    probe.send('set state', ['start']);
    expect((await probe.next('daemon error')).args?.[0]).toMatch(/: an unexpected error was encountered/);
    const admin = double.addApiKey({ admin: true });
    const { probe: ap } = await authed(double, admin, server);
    ap.send('set state', ['start']);
    expect((await ap.next('daemon error')).args?.[0]).toMatch(/^Error Event \[[0-9a-f-]{36}\]: server is running$/);
    // stop never completes (stopDelayMs null) so the lock stays held.
    probe.send('set state', ['stop']);
    await probe.next((f) => f.event === 'status' && f.args?.[0] === 'stopping');
    probe.send('set state', ['restart']);
    expect((await probe.next('daemon error')).args?.[0]).toMatch(
      /^Error Event \[[0-9a-f-]{36}\]: another power action is currently being processed for this server, please try again later$/,
    );
    probe.send('set state', ['kill']);
    expect((await probe.next('status')).args).toEqual(['offline']);
  });

  it('send command echoes through the game hook; the egg stop command moves to stopping', async () => {
    const { double, server, key } = await setup();
    await server.power('start');
    await waitFor(() => server.state === 'running');
    const { probe } = await authed(double, key, server);
    probe.send('send command', ['li', 'st']);
    expect((await probe.next('console output')).args).toEqual(['> list']);
    expect((await probe.next('console output')).args).toEqual(['Unknown command: list']);
    probe.send('send command', ['stop']);
    expect((await probe.next('status')).args).toEqual(['stopping']);
    expect((await probe.next('status')).args).toEqual(['offline']);
  });

  it('crash: running→offline directly, crash lines, auto restart, then abort within the crash window', async () => {
    const { double, server, key } = await setup();
    await server.power('start');
    await waitFor(() => server.state === 'running');
    const { probe } = await authed(double, key, server);
    server.crash({ exitCode: 137 });
    expect((await probe.next('status')).args).toEqual(['offline']);
    const daemon = (text: string) => `\u001b[33m\u001b[1m[Pterodactyl Daemon]:\u001b[39m ${text}\u001b[0m`;
    const lines = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await probe.next('console output')).args?.[0] ?? '');
      return out;
    };
    expect(await lines(3)).toEqual([
      daemon('---------- Detected server process in a crashed state! ----------'),
      daemon('Exit code: 137'),
      daemon('Out of memory: false'),
    ]);
    expect((await probe.next('status')).args).toEqual(['starting']);
    await waitFor(() => server.state === 'running');
    server.crash();
    await probe.next((f) => f.event === 'console output' && f.args?.[0] === daemon('Out of memory: false'));
    expect((await probe.next('console output')).args).toEqual([
      daemon('Aborting automatic restart, last crash occurred less than 60 seconds ago.'),
    ]);
    expect(server.state).toBe('offline');
  });

  it('send logs replays the last 150 game lines since start, only while running, no daemon lines', async () => {
    const { double, server, key } = await setup({}, { doneLine: null });
    const { probe } = await authed(double, key, server);
    await probe.next('stats');
    probe.send('send logs');
    probe.send('send stats');
    await probe.next('stats');
    expect(probe.pending()).toEqual([]);
    await server.power('start');
    server.emitConsole(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    await waitFor(() => probe.frames.filter((f) => f.args?.[0] === 'line 199').length === 1);
    probe.skipAll();
    probe.send('send logs');
    const replay: string[] = [];
    for (let i = 0; i < 150; i++) replay.push((await probe.next('console output')).args?.[0] ?? '');
    expect(replay).toEqual(Array.from({ length: 150 }, (_, i) => `line ${i + 50}`));
  });

  it('console throttle: lines over the limit dropped for sockets, kept in the log, one notice per episode', async () => {
    const { double, server, key } = await setup(
      { consoleThrottle: { lines: 5, intervalMs: 60_000 } },
      { doneLine: null },
    );
    await server.power('start');
    const { probe } = await authed(double, key, server);
    server.emitConsole(Array.from({ length: 20 }, (_, i) => `spam ${i}`));
    const notice =
      '\u001b[33m\u001b[1m[Pterodactyl Daemon]:\u001b[39m Server is outputting console data too quickly -- throttling...\u001b[0m';
    await probe.next((f) => f.args?.[0] === notice);
    await waitFor(() => double.metrics.sentConsoleLines(server.uuid) >= 6);
    const consoleArgs = probe.frames.filter((f) => f.event === 'console output').map((f) => f.args?.[0]);
    expect(consoleArgs.filter((a) => a?.startsWith('spam'))).toEqual([
      'spam 0',
      'spam 1',
      'spam 2',
      'spam 3',
      'spam 4',
    ]);
    expect(consoleArgs.filter((a) => a === notice)).toHaveLength(1);
    expect(server.containerLog).toHaveLength(20);
  });
});

describe('envelope', () => {
  it('drops invalid JSON, non-array args and non-string elements; null elements become ""; keys case-insensitive', async () => {
    const { double, server, key } = await setup();
    const { probe } = await authed(double, key, server);
    await probe.next('stats');
    probe.sendRaw('{not json');
    probe.sendRaw('{"event":"send stats","args":"x"}');
    probe.sendRaw('{"event":"send stats","args":[1]}');
    probe.sendRaw('{"EVENT":"send command","Args":[null,"x"]}');
    probe.sendRaw('{"Event":"send stats"}');
    await probe.next('stats');
    expect(double.metrics.received(server.uuid).map((f) => f.event)).toEqual(['auth', 'send command', 'send stats']);
    expect(double.metrics.received(server.uuid)[1]?.args).toEqual(['', 'x']);
  });
});

describe('Wings ≥ 1.12 inbound limits', () => {
  it('per-event bucket → one throttled [event] per episode; global bucket → throttled [global]', async () => {
    const { double, server, key } = await setup({ statsIntervalMs: 60_000 });
    const { probe } = await authed(double, key, server);
    for (let i = 0; i < 6; i++) probe.send('send stats');
    await probe.next((f) => f.event === 'throttled' && f.args?.[0] === 'send stats');
    await waitFor(() => double.metrics.received(server.uuid).length >= 7);
    expect(probe.frames.filter((f) => f.event === 'throttled')).toHaveLength(1);
    for (let i = 0; i < 12; i++) probe.send('unknown event');
    await probe.next((f) => f.event === 'throttled' && f.args?.[0] === 'global');
  });

  it('refill is scalable: with limitRateScale 0.01 one token returns after 10 ms of the double clock', async () => {
    let t = Date.now();
    const { double, server, key } = await setup({ statsIntervalMs: 60_000, limitRateScale: 0.01, now: () => t });
    const { probe } = await authed(double, key, server);
    await probe.next('stats');
    for (let i = 0; i < 5; i++) probe.send('send stats');
    await probe.next('throttled');
    await waitFor(() => double.metrics.received(server.uuid).length >= 6);
    const replies = () => probe.frames.filter((f) => f.event === 'stats').length;
    expect(replies()).toBe(5); // auth-time stats + the 4-burst
    t += 10;
    probe.send('send stats');
    await waitFor(() => replies() === 6);
  });

  it('a frame over 4096 bytes closes the socket with 1009; binary frames are ignored', async () => {
    const { double, server, key } = await setup();
    const { probe } = await authed(double, key, server);
    probe.sendRaw(Buffer.from(JSON.stringify({ event: 'send stats' })), true);
    probe.sendRaw(JSON.stringify({ event: 'send command', args: ['x'.repeat(4100)] }));
    expect(await probe.closed()).toBe(1009);
    expect(double.metrics.received(server.uuid).map((f) => f.event)).toEqual(['auth']);
  });

  it('the 31st socket of a server gets HTTP 400 JSON', async () => {
    const { double, server, key } = await setup({ maxSocketsPerServer: 3 });
    const { socket } = await credentials(double, key, server);
    for (let i = 0; i < 3; i++) await connect(double, socket);
    await expect(WsProbe.open(socket, double.panelUrl)).rejects.toMatchObject({
      status: 400,
      body: '{"error":"Too many open websocket connections."}',
    });
  });

  it('suspension drops open sockets (1006); new sockets are closed with 4409', async () => {
    const { double, server, key } = await setup();
    const { probe, creds } = await authed(double, key, server);
    server.suspend();
    expect(await probe.closed()).toBe(1006);
    const again = await connect(double, creds.socket);
    expect(await again.closed()).toBe(4409);
    expect(again.closeReason).toBe('server is suspended');
  });

  it('deletion publishes deleted ["null"], drops the socket, then the uuid is unknown', async () => {
    const { double, server, key } = await setup();
    const { probe, creds } = await authed(double, key, server);
    server.remove();
    expect(await probe.next('deleted')).toEqual({ event: 'deleted', args: ['null'] });
    expect(await probe.closed()).toBe(1006);
    await expect(WsProbe.open(creds.socket, double.panelUrl)).rejects.toMatchObject({ status: 404 });
  });
});

describe('panel client API', () => {
  it('account, list and server view (identifier or uuid) with meta permissions', async () => {
    const { double, server, key } = await setup();
    const account = await (await api(double, key, '/account')).json();
    expect(account).toMatchObject({ object: 'user', attributes: { admin: false, language: 'en' } });
    const list = (await (await api(double, key, '')).json()) as { data: unknown[]; meta: unknown };
    expect(list.data).toHaveLength(1);
    expect(list.meta).toMatchObject({
      pagination: { total: 1, count: 1, per_page: 50, current_page: 1, total_pages: 1 },
    });
    for (const id of [server.identifier, server.uuid]) {
      const view = await (await api(double, key, `/servers/${id}`)).json();
      expect(view).toMatchObject({
        object: 'server',
        attributes: {
          identifier: server.identifier,
          uuid: server.uuid,
          name: 'Survival',
          is_suspended: false,
          status: null,
        },
        meta: { is_server_owner: true, user_permissions: ['*'] },
      });
    }
  });

  it.each([
    ['no key', undefined, 401, err(401, 'AuthenticationException', 'Unauthenticated.')],
    [
      'wrong key',
      ['ptlc', 'AAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'].join('_'),
      401,
      err(401, 'AuthenticationException', 'Unauthenticated.'),
    ],
  ])('%s → %i with the exact error JSON', async (_name, bad, status, body) => {
    const { double } = await setup();
    const res = await fetch(`${double.panelUrl}/api/client/account`, {
      headers: { Accept: 'application/json', ...(bad ? { Authorization: `Bearer ${bad}` } : {}) },
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
  });

  it('bad auth without a JSON Accept header → 302 to /auth/login', async () => {
    const { double } = await setup();
    const res = await fetch(`${double.panelUrl}/api/client/account`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${double.panelUrl}/auth/login`);
  });

  it('application key → 403 with the exact text', async () => {
    const { double } = await setup();
    const appKey = double.addApiKey({ type: 'application' });
    expect(appKey).toMatch(/^ptla_[A-Za-z0-9]{43}$/);
    const res = await api(double, appKey, '/account');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual(
      err(
        403,
        'AccessDeniedHttpException',
        'You are attempting to use an application API key on an endpoint that requires a client API key.',
      ),
    );
  });

  it('404 texts: unknown id vs no access', async () => {
    const { double, server } = await setup();
    const stranger = double.addApiKey({});
    const unknown = await api(double, stranger, '/servers/zzzzzzzz');
    expect(await unknown.json()).toEqual(
      err(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.'),
    );
    const noAccess = await api(double, stranger, `/servers/${server.identifier}`);
    expect(noAccess.status).toBe(404);
    expect(await noAccess.json()).toEqual(
      err(404, 'NotFoundHttpException', 'The requested resource does not exist on this server.'),
    );
  });

  it('409 on every server route except GET server while suspended / installing', async () => {
    const { double, server, key } = await setup();
    server.setInstalling(true);
    expect((await api(double, key, `/servers/${server.identifier}`)).status).toBe(200);
    const ws = await api(double, key, `/servers/${server.identifier}/websocket`);
    expect(await ws.json()).toEqual(
      err(
        409,
        'ConflictHttpException',
        'This server has not yet completed its installation process, please try again later.',
      ),
    );
    server.setInstalling(false);
    server.suspend();
    const power = await api(double, key, `/servers/${server.identifier}/power`, {
      method: 'POST',
      body: JSON.stringify({ signal: 'start' }),
    });
    expect(await power.json()).toEqual(
      err(
        409,
        'ConflictHttpException',
        'This server is currently suspended and the functionality requested is unavailable.',
      ),
    );
  });

  it('power: 204 fire-and-forget; subuser without permission 403 before validation; owner 422', async () => {
    const { double, server, key } = await setup();
    const path = `/servers/${server.identifier}/power`;
    const post = (k: string, body: unknown) => api(double, k, path, { method: 'POST', body: JSON.stringify(body) });
    const started = new Promise((resolve) => server.events.once('power', resolve));
    expect((await post(key, { signal: 'start' })).status).toBe(204);
    await started;
    await waitFor(() => server.state === 'running');
    expect((await post(key, { signal: 'start' })).status).toBe(204); // already running: still 204
    const sub = double.addApiKey({ servers: { [server.identifier]: ['websocket.connect', 'control.console'] } });
    expect((await post(sub, { signal: 'bogus' })).status).toBe(403);
    const invalid = await post(key, { signal: 'bogus' });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toEqual({
      errors: [
        {
          code: 'ValidationException',
          status: '422',
          detail: 'The selected signal is invalid.',
          meta: { source_field: 'signal', rule: 'in' },
        },
      ],
    });
  });

  it('command: 502 while offline, 204 and delivered to the game while running', async () => {
    const { double, server, key } = await setup();
    const path = `/servers/${server.identifier}/command`;
    const post = () => api(double, key, path, { method: 'POST', body: JSON.stringify({ command: 'say hi' }) });
    const offline = await post();
    expect(offline.status).toBe(502);
    expect(await offline.json()).toEqual(err(502, 'HttpException', 'Server must be online in order to send commands.'));
    await server.power('start');
    const got = new Promise((resolve) =>
      server.events.once('command', (cmd: string, via: string) => resolve([cmd, via])),
    );
    expect((await post()).status).toBe(204);
    expect(await got).toEqual(['say hi', 'rest']);
    expect(server.containerLog).toContain('> say hi');
  });

  it('websocket token: 5/min per server → 429 with Retry-After and Too Many Attempts.', async () => {
    const { double, server, key } = await setup();
    const path = `/servers/${server.identifier}/websocket`;
    for (let i = 0; i < 5; i++) expect((await api(double, key, path)).status).toBe(200);
    const other = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
    const res = await api(double, other, path); // shared by all users of the server
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(await res.json()).toEqual(err(429, 'ThrottleRequestsException', 'Too Many Attempts.'));
    expect(double.metrics.wsTokenRequests(server.identifier)).toBe(6);
  });

  it('per-user client limit with X-RateLimit headers', async () => {
    const { double, key } = await setup({ clientRatePerMinute: 2 });
    const first = await api(double, key, '/account');
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await api(double, key, '/account')).status).toBe(200);
    expect((await api(double, key, '/account')).status).toBe(429);
  });

  it('websocket token without websocket.connect → 403 HttpForbiddenException', async () => {
    const { double, server } = await setup();
    const sub = double.addApiKey({ servers: { [server.identifier]: ['control.console'] } });
    const res = await api(double, sub, `/servers/${server.identifier}/websocket`);
    expect(await res.json()).toEqual(
      err(403, 'HttpForbiddenException', "You do not have permission to connect to this server's websocket."),
    );
  });
});

describe('faults', () => {
  it('panelFailures fails the next N requests, then the panel recovers', async () => {
    const { double, key } = await setup();
    double.faults.panelFailures({ status: 503, count: 2, retryAfterSec: 3 });
    const a = await api(double, key, '/account');
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe('3');
    expect((await api(double, key, '/account')).status).toBe(503);
    expect((await api(double, key, '/account')).status).toBe(200);
  });

  it('nodeDown: 504 on node-backed routes, tokens still minted, upgrades refused', async () => {
    const { double, server, key } = await setup();
    double.faults.nodeDown(true);
    const res = await api(double, key, `/servers/${server.identifier}/resources`);
    expect(await res.json()).toEqual(
      err(
        504,
        'DaemonConnectionException',
        'Could not establish a connection to the machine running this server. Please try again.',
      ),
    );
    const { socket } = await credentials(double, key, server);
    await expect(WsProbe.open(socket, double.panelUrl)).rejects.toThrow();
  });

  it("denyUserTokens kills that user's current tokens; refuseAuth answers a daemon error", async () => {
    const { double, server } = await setup();
    const user = double.addUser();
    const key = double.addApiKey({ user, servers: { [server.identifier]: ['*'] } });
    const creds = await credentials(double, key, server);
    double.faults.denyUserTokens(server.uuid, user.uuid);
    const probe = await connect(double, creds.socket);
    probe.send('auth', [creds.token]);
    expect((await probe.next()).args?.[0]).toMatch(/jwt: created too far in past \(denylist\)$/);
    const fresh = await credentials(double, key, server);
    double.faults.refuseAuth(true);
    probe.send('auth', [fresh.token]);
    expect((await probe.next()).event).toBe('daemon error');
    double.faults.refuseAuth(false);
    // A third auth on the same socket within 5 s would hit the auth bucket (2 / 5 s): use a new socket.
    const second = await connect(double, creds.socket);
    second.send('auth', [fresh.token]);
    expect(await second.next()).toEqual({ event: 'auth success' });
  });
});
