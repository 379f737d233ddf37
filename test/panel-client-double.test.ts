/** The panel client against the panel+Wings double: the same texts, statuses and limits as a real panel. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelClient, PanelError } from '../src/panel/index.ts';
import { type PanelWingsDouble, type ServerHandle, startPanelWingsDouble } from './doubles/panel-wings/index.ts';

let double: PanelWingsDouble;
let server: ServerHandle;
let ownerKey: string;
let subuserKey: string;

beforeAll(async () => {
  double = await startPanelWingsDouble({ wsTokenPerMinute: 5 });
  server = double.addServer({ name: 'Survival', state: 'offline', startDelayMs: 10 });
  ownerKey = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
  subuserKey = double.addApiKey({ servers: { [server.identifier]: ['websocket.connect', 'control.console'] } });
});
afterAll(() => double.close());

const client = (apiKey: string, maxRetries = 2) =>
  new PanelClient({ panelUrl: double.panelUrl, apiKey, timeoutMs: 5000, maxRetries, retryBackoffMs: 10 });

async function failure(promise: Promise<unknown>): Promise<PanelError> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(PanelError);
  return result as PanelError;
}

function waitForState(handle: ServerHandle, wanted: string, timeoutMs: number): Promise<void> {
  if (handle.state === wanted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      handle.events.off('state', onState);
      reject(new Error(`server never reached ${wanted} (is ${handle.state})`));
    }, timeoutMs);
    const onState = (next: string) => {
      if (next !== wanted) return;
      clearTimeout(timer);
      handle.events.off('state', onState);
      resolve();
    };
    handle.events.on('state', onState);
  });
}

describe('PanelClient against the panel+Wings double', () => {
  it('reads the account and server details with the key user’s permissions', async () => {
    await expect(client(ownerKey).getAccount()).resolves.toMatchObject({ admin: false });
    const asOwner = await client(ownerKey).getServer(server.identifier);
    expect(asOwner).toMatchObject({
      identifier: server.identifier,
      uuid: server.uuid,
      name: 'Survival',
      isSuspended: false,
      isOwner: true,
      permissions: ['*'],
    });
    const asSubuser = await client(subuserKey).getServer(server.uuid);
    expect(asSubuser.isOwner).toBe(false);
    expect(asSubuser.permissions).toEqual(expect.arrayContaining(['websocket.connect', 'control.console']));
  });

  it('gets websocket credentials pointing at the server’s socket', async () => {
    const credentials = await client(ownerKey).getWebsocketCredentials(server.identifier);
    expect(credentials.token.split('.')).toHaveLength(3);
    expect(credentials.socket).toMatch(/^wss?:\/\//);
    expect(credentials.socket).toContain(`/api/servers/${server.uuid}/ws`);
  });

  it('refuses a command while the server is offline (502 → server_offline)', async () => {
    const e = await failure(client(ownerKey).sendCommand(server.identifier, 'list'));
    expect(e).toMatchObject({ kind: 'server_offline', status: 502 });
  });

  it('names the missing permission when a subuser tries to start the server', async () => {
    const e = await failure(client(subuserKey).sendPower(server.identifier, 'start'));
    expect(e.kind).toBe('missing_permission');
    expect(e.userMessage).toContain('control.start');
  });

  it('starts the server, then a command is accepted', async () => {
    await client(ownerKey).sendPower(server.identifier, 'start');
    await waitForState(server, 'running', 5000);
    await client(subuserKey).sendCommand(server.identifier, 'list');
    const resources = await client(ownerKey).getResources(server.identifier);
    expect(['starting', 'running']).toContain(resources.state);
  });

  it('reports an unknown server as server_not_found', async () => {
    const e = await failure(client(ownerKey).getServer('ffffffff'));
    expect(e.kind).toBe('server_not_found');
    expect(e.userMessage).toContain('ffffffff');
  });

  it('recognises an application key', async () => {
    const appKey = double.addApiKey({ type: 'application', servers: { [server.identifier]: ['*'] } });
    const e = await failure(client(appKey).getAccount());
    expect(e.kind).toBe('application_key');
  });

  it('reports a suspended server as a 409 conflict, while details still load', async () => {
    const other = double.addServer({ name: 'Creative', state: 'offline' });
    const key = double.addApiKey({ servers: { [other.identifier]: ['*'] } });
    other.suspend();
    const e = await failure(client(key).sendPower(other.identifier, 'start'));
    expect(e).toMatchObject({ kind: 'server_conflict', status: 409, conflict: 'suspended' });
    await expect(client(key).getServer(other.identifier)).resolves.toMatchObject({ isSuspended: true });
  });

  it('hits the websocket-token limit (5 a minute per server) and reports rate_limited without waiting a minute', async () => {
    const other = double.addServer({ name: 'Skyblock', state: 'offline' });
    const key = double.addApiKey({ servers: { [other.identifier]: ['*'] } });
    const c = client(key);
    for (let i = 0; i < 5; i++) await c.getWebsocketCredentials(other.identifier);
    const e = await failure(c.getWebsocketCredentials(other.identifier));
    expect(e.kind).toBe('rate_limited');
    expect(e.retryAfterMs).toBeGreaterThan(10_000); // more than the client's wait cap, so it did not wait
    expect(double.metrics.wsTokenRequests(other.identifier)).toBe(6);
  });

  it('retries a 503 GET once', async () => {
    double.faults.panelFailures({ status: 503, count: 1 });
    await expect(client(ownerKey).getServer(server.identifier)).resolves.toMatchObject({ name: 'Survival' });
  });
});

describe('a short rate window', () => {
  let fast: PanelWingsDouble;
  beforeAll(async () => {
    fast = await startPanelWingsDouble({ wsTokenPerMinute: 1, rateWindowMs: 1000 });
  });
  afterAll(() => fast.close());

  it('waits out Retry-After on the websocket-token limit and then succeeds', async () => {
    const s = fast.addServer({ name: 'Lobby' });
    const key = fast.addApiKey({ servers: { [s.identifier]: ['*'] } });
    const c = new PanelClient({ panelUrl: fast.panelUrl, apiKey: key });
    await c.getWebsocketCredentials(s.identifier);
    await expect(c.getWebsocketCredentials(s.identifier)).resolves.toMatchObject({
      socket: expect.stringContaining(s.uuid),
    });
    const ws = fast.metrics.requestLog.filter((r) => r.route === 'GET /api/client/servers/{server}/websocket');
    expect(ws.map((r) => r.status)).toEqual([200, 429, 200]);
    expect(ws[2]!.at - ws[1]!.at).toBeGreaterThanOrEqual(1000 - 5); // Retry-After: 1, less timer slack
  });
});
