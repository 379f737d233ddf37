/**
 * Where the bot may be made to connect: the Wings socket address the panel hands out goes through the same forbidden-host
 * check as panel addresses (loopback only for a loopback panel), and names resolving to link-local or cloud-metadata
 * addresses are refused at connect time, for panel requests and Wings sockets alike.
 */
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import { PanelClient } from '../src/panel/client.ts';
import {
  createGuardedLookup,
  FORBIDDEN_ADDRESS,
  isForbiddenAddress,
  type LookupCallback,
  type LookupFunction,
} from '../src/panel/dns-guard.ts';
import { socketUrlProblem } from '../src/panel/url-policy.ts';
import { WingsConnection } from '../src/wings/connection.ts';
import { type Stub, startStub } from './panel-stub-server.ts';
import { captureLog, FakeCredentials, waitFor } from './wings-support.ts';

const KEY = `ptlc_${'a'.repeat(43)}`;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A resolver answering from a table, in both the single-address and the `all: true` form. */
function tableResolver(table: Record<string, string[]>): LookupFunction {
  return (hostname, options, callback) => {
    const list = table[hostname];
    if (list === undefined) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    const entries: LookupAddress[] = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  };
}

function lookupOnce(lookup: LookupFunction, hostname: string, all: boolean) {
  return new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) => {
    const callback: LookupCallback = (error, address) => resolve({ error, address });
    lookup(hostname, { all }, callback);
  });
}

describe('socketUrlProblem', () => {
  it.each([
    ['wss://node1.example.com:8080/api/servers/u/ws', 'https://panel.example.com', undefined],
    ['ws://10.0.0.5:8080/api/servers/u/ws', 'https://panel.example.com', undefined],
    ['ws://127.0.0.1:8080/api/servers/u/ws', 'http://127.0.0.1:8000', undefined],
    ['ws://localhost:8080/api/servers/u/ws', 'http://localhost', undefined],
    ['ws://169.254.169.254/latest/meta-data', 'https://panel.example.com', /link-local or cloud-metadata/],
    ['ws://[fe80::1]:8080/', 'https://panel.example.com', /link-local/],
    ['ws://metadata.google.internal/', 'https://panel.example.com', /cloud-metadata/],
    ['ws://0.0.0.0:9464/', 'http://127.0.0.1:8000', /link-local/],
    ['ws://127.0.0.1:9464/', 'https://panel.example.com', /bot's own machine/],
    ['ws://localhost:9464/', 'https://panel.example.com', /bot's own machine/],
    ['ws://[::ffff:127.0.0.1]:9464/', 'https://panel.example.com', /bot's own machine/],
    ['http://node1.example.com/', 'https://panel.example.com', /not ws/],
    ['ws://user:pw@node1.example.com/', 'https://panel.example.com', /user name/],
    ['not a url', 'https://panel.example.com', /not a URL/],
  ])('%s from %s', (socket, panel, expected) => {
    const problem = socketUrlProblem(socket, panel);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});

describe('resolved addresses', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['100.100.100.200', true],
    ['0.0.0.0', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['::ffff:169.254.169.254', true],
    ['fd00:ec2::254', true],
    ['::', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['10.1.2.3', false],
    ['93.184.216.34', false],
    ['2001:db8::1', false],
  ])('%s forbidden: %s', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });

  it.each([true, false])('the guarded lookup refuses a name with any forbidden address (all: %s)', async (all) => {
    const lookup = createGuardedLookup(
      tableResolver({
        'ok.test': ['127.0.0.1'],
        'evil.test': ['93.184.216.34', '169.254.169.254'],
        'v6.test': ['fe80::2'],
      }),
    );
    const ok = await lookupOnce(lookup, 'ok.test', all);
    expect(ok.error).toBeNull();
    expect(all ? ok.address : [ok.address]).toEqual(all ? [{ address: '127.0.0.1', family: 4 }] : ['127.0.0.1']);
    for (const name of all ? ['evil.test', 'v6.test'] : ['v6.test']) {
      expect((await lookupOnce(lookup, name, all)).error?.code).toBe(FORBIDDEN_ADDRESS);
    }
    expect((await lookupOnce(lookup, 'missing.test', all)).error?.code).toBe('ENOTFOUND');
  });
});

describe('PanelClient', () => {
  async function panel(socket: string): Promise<Stub> {
    const stub = await startStub((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.path.endsWith('/websocket')) res.end(JSON.stringify({ data: { token: 'jwt', socket } }));
      else res.writeHead(404).end('{}');
    });
    cleanup.push(() => stub.close());
    return stub;
  }

  it('refuses a metadata socket address from the panel as a bad answer, without naming it to the member', async () => {
    const stub = await panel('ws://169.254.169.254/latest/meta-data');
    const client = new PanelClient({ panelUrl: stub.url, apiKey: KEY });
    const error = await client.getWebsocketCredentials('abcd1234').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'bad_response', userMessage: expect.stringMatching(/cloud-metadata/) });
    expect((error as { userMessage: string }).userMessage).not.toContain('169.254');
    expect((error as Error).message).toContain('169.254.169.254');
  });

  it('accepts a loopback socket from a loopback panel', async () => {
    const stub = await panel('ws://127.0.0.1:9464/api/servers/u/ws');
    const client = new PanelClient({ panelUrl: stub.url, apiKey: KEY });
    await expect(client.getWebsocketCredentials('abcd1234')).resolves.toMatchObject({ token: 'jwt' });
  });

  it('connects through its lookup: a loopback socket from a non-loopback panel is refused', async () => {
    const stub = await panel(`ws://127.0.0.1:9464/api/servers/u/ws`);
    const lookup = createGuardedLookup(tableResolver({ 'panel.test': ['127.0.0.1'] }));
    const client = new PanelClient({ panelUrl: `http://panel.test:${stub.port}`, apiKey: KEY, lookup });
    const error = await client.getWebsocketCredentials('abcd1234').catch((e: unknown) => e);
    expect(stub.requests).toHaveLength(1); // reached the stub by the name the table resolved
    expect(error).toMatchObject({ kind: 'bad_response', userMessage: expect.stringMatching(/bot's own machine/) });
  });

  it('refuses a panel name that resolves to a metadata address before sending anything', async () => {
    const stub = await panel('ws://node.example.com/');
    const lookup = createGuardedLookup(tableResolver({ 'panel.test': ['169.254.169.254'] }));
    const client = new PanelClient({ panelUrl: `http://panel.test:${stub.port}`, apiKey: KEY, lookup });
    const error = await client.getWebsocketCredentials('abcd1234').catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'panel_unreachable',
      userMessage: expect.stringMatching(/link-local or cloud-metadata/),
    });
    expect(stub.requests).toHaveLength(0);
  });
});

describe('Wings socket', () => {
  it('resolves the socket host through the guarded lookup and says why it does not connect', async () => {
    const seen: ClientOptions[] = [];
    const connection = new WingsConnection({
      serverId: 'abcd1234',
      panelUrl: 'https://panel.example.com',
      credentials: new FakeCredentials(() => 'ws://wings.test:8080/api/servers/u/ws'),
      logger: captureLog().logger,
      backoff: { initialMs: 1000, maxMs: 1000 },
      createSocket: (url, options) => {
        seen.push(options);
        const guard = (options as { lookup: LookupFunction }).lookup;
        // The test's only DNS: wings.test is an alias of the metadata address; the connection's own guard judges it.
        const alias: LookupFunction = (host, o, cb) => guard(host === 'wings.test' ? '169.254.169.254' : host, o, cb);
        return new WebSocket(url, { ...options, lookup: alias } as ClientOptions);
      },
    });
    cleanup.push(() => connection.close());
    connection.start();
    await waitFor(() => connection.connectionState.kind === 'retrying', 5000, 'a retry');
    expect(connection.connectionState).toMatchObject({ reason: expect.stringMatching(/cloud-metadata/) });
    expect(seen).toHaveLength(1);
  });
});
