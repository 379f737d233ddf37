/** Successful calls: request shape (headers, paths, bodies) and the parsed results. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelClient } from '../src/panel/index.ts';
import { json, type Stub, startStub } from './panel-stub-server.ts';

const KEY = ['ptlc', 'AbCdEfGhIjK0123456789abcdefghijklmnopqrstuv'].join('_');
const UUID = '1a2b3c4d-0000-4000-8000-00000000abcd';

const serverAttributes = {
  server_owner: false,
  identifier: '1a2b3c4d',
  internal_id: 7,
  uuid: UUID,
  name: 'Survival',
  node: 'Node 1',
  is_node_under_maintenance: false,
  sftp_details: { ip: 'node.example.com', port: 2022 },
  description: 'Main world',
  limits: { memory: 4096, swap: 0, disk: 20000, io: 500, cpu: 200, threads: '0-3', oom_disabled: true },
  invocation: 'java -jar server.jar',
  docker_image: 'ghcr.io/pterodactyl/yolks:java_17',
  egg_features: ['eula'],
  feature_limits: { databases: 1, allocations: 1, backups: 3 },
  status: null,
  is_suspended: false,
  is_installing: false,
  is_transferring: false,
  relationships: { allocations: { object: 'list', data: [] }, variables: { object: 'list', data: [] } },
};

let stub: Stub;
let client: PanelClient;
beforeAll(async () => {
  stub = await startStub((req, res) => {
    const path = req.path;
    if (path === '/api/client/account') {
      json(res, 200, {
        object: 'user',
        attributes: {
          id: 3,
          admin: false,
          username: 'ops',
          email: 'ops@example.com',
          first_name: 'O',
          last_name: 'P',
          language: 'en',
        },
      });
    } else if (path === '/api/client/servers/1a2b3c4d') {
      json(res, 200, {
        object: 'server',
        attributes: serverAttributes,
        meta: { is_server_owner: false, user_permissions: ['websocket.connect', 'control.console', 'control.start'] },
      });
    } else if (path === `/api/client/servers/${UUID}`) {
      // Older / Pelican-style variations the parser must tolerate.
      const { is_transferring: _dropped, ...rest } = serverAttributes;
      json(res, 200, {
        object: 'server',
        attributes: {
          ...rest,
          description: null,
          status: 'installing',
          is_installing: true,
          limits: { ...rest.limits, io: null, threads: null },
        },
        meta: { is_server_owner: true, user_permissions: ['*'] },
      });
    } else if (path === '/api/client/servers/1a2b3c4d/websocket') {
      json(res, 200, {
        data: { token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', socket: `wss://node.example.com:8080/api/servers/${UUID}/ws` },
      });
    } else if (path === '/api/client/servers/1a2b3c4d/resources') {
      json(res, 200, {
        object: 'stats',
        attributes: {
          current_state: 'running',
          is_suspended: false,
          resources: {
            memory_bytes: 1_500_000_000,
            cpu_absolute: 37.5,
            disk_bytes: 9_000_000,
            network_rx_bytes: 10,
            network_tx_bytes: 20,
            uptime: 123_456,
          },
        },
      });
    } else if (req.method === 'POST' && (path.endsWith('/power') || path.endsWith('/command'))) {
      res.writeHead(204);
      res.end();
    } else {
      json(res, 404, { errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'nope' }] });
    }
  });
  client = new PanelClient({ panelUrl: `${stub.url}/`, apiKey: KEY, timeoutMs: 5000 });
});
afterAll(() => stub.close());

describe('PanelClient success paths', () => {
  it('normalises the panel URL it was given', () => {
    expect(client.panelUrl).toBe(stub.url);
  });

  it('reads the account', async () => {
    await expect(client.getAccount()).resolves.toEqual({
      id: 3,
      username: 'ops',
      email: 'ops@example.com',
      admin: false,
    });
  });

  it('parses server details with the key user’s permissions', async () => {
    const server = await client.getServer('1a2b3c4d');
    expect(server).toEqual({
      identifier: '1a2b3c4d',
      uuid: UUID,
      name: 'Survival',
      node: 'Node 1',
      description: 'Main world',
      status: null,
      isSuspended: false,
      isInstalling: false,
      isTransferring: false,
      limits: { memory: 4096, swap: 0, disk: 20000, io: 500, cpu: 200, threads: '0-3' },
      isOwner: false,
      permissions: ['websocket.connect', 'control.console', 'control.start'],
    });
  });

  it('tolerates null description, missing is_transferring and null limits, by uuid', async () => {
    const server = await client.getServer(UUID);
    expect(server).toMatchObject({
      description: '',
      status: 'installing',
      isInstalling: true,
      isTransferring: false,
      isOwner: true,
      permissions: ['*'],
    });
    expect(server.limits).toMatchObject({ io: 0, threads: null });
  });

  it('gets websocket credentials', async () => {
    await expect(client.getWebsocketCredentials('1a2b3c4d')).resolves.toEqual({
      token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
      socket: `wss://node.example.com:8080/api/servers/${UUID}/ws`,
    });
  });

  it('reads resources', async () => {
    await expect(client.getResources('1a2b3c4d')).resolves.toEqual({
      state: 'running',
      isSuspended: false,
      memoryBytes: 1_500_000_000,
      cpuAbsolute: 37.5,
      diskBytes: 9_000_000,
      networkRxBytes: 10,
      networkTxBytes: 20,
      uptimeMs: 123_456,
    });
  });

  it('posts power signals and commands as JSON', async () => {
    const before = stub.requests.length;
    await client.sendPower('1a2b3c4d', 'restart');
    await client.sendCommand('1a2b3c4d', 'say "hello" ünïcode');
    const [power, command] = stub.requests.slice(before);
    expect(power).toMatchObject({ method: 'POST', path: '/api/client/servers/1a2b3c4d/power' });
    expect(JSON.parse(power!.body)).toEqual({ signal: 'restart' });
    expect(power!.headers['content-type']).toBe('application/json');
    expect(command).toMatchObject({ method: 'POST', path: '/api/client/servers/1a2b3c4d/command' });
    expect(JSON.parse(command!.body)).toEqual({ command: 'say "hello" ünïcode' });
  });

  it('sent Accept: application/json and the Bearer key on every call', () => {
    expect(stub.requests.length).toBeGreaterThanOrEqual(7);
    for (const req of stub.requests) {
      expect(req.headers.accept).toBe('application/json');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    }
  });
});
