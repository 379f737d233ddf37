/**
 * Every panel answer the bot can meet → its typed error, against a real HTTP server on 127.0.0.1 that answers with the
 * panel's own texts (wings.md §10.1).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConflictReason, PanelClient, PanelError, type PanelErrorKind } from '../src/panel/index.ts';
import { json, panelError, type Stub, startStub } from './panel-stub-server.ts';

const KEY = ['ptlc', 'AbCdEfGhIjK0123456789abcdefghijklmnopqrstuv'].join('_');
const SERVER = '1a2b3c4d';

type Call = 'account' | 'server' | 'websocket' | 'resources' | 'start' | 'restart' | 'kill' | 'command';

function run(client: PanelClient, call: Call): Promise<unknown> {
  switch (call) {
    case 'account':
      return client.getAccount();
    case 'server':
      return client.getServer(SERVER);
    case 'websocket':
      return client.getWebsocketCredentials(SERVER);
    case 'resources':
      return client.getResources(SERVER);
    case 'command':
      return client.sendCommand(SERVER, 'say hi');
    default:
      return client.sendPower(SERVER, call);
  }
}

interface Row {
  name: string;
  call: Call;
  answer: (res: ServerResponse) => void;
  kind: PanelErrorKind;
  status?: number;
  says: string[];
  detail?: string;
  conflict?: ConflictReason;
}

const err = (status: number, code: string, detail: string) => (res: ServerResponse) =>
  json(res, status, panelError(status, code, detail));
const html = (status: number) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'text/html' });
  res.end('<!doctype html><html><body><h1>Welcome</h1></body></html>');
};

const SUSPENDED = 'This server is currently suspended and the functionality requested is unavailable.';
const APP_KEY = 'You are attempting to use an application API key on an endpoint that requires a client API key.';
const IP = 'This IP address (203.0.113.7) does not have permission to access the API using these credentials.';
const TWO_FA = 'Two-factor authentication is required on this account in order to access this endpoint.';
const NODE_DOWN = 'Could not establish a connection to the machine running this server. Please try again.';
const NODE_500 =
  'There was an error while communicating with the machine running this server. This error has been logged, please try again. (code: 500) (request_id: 9f1c)';

const rows: Row[] = [
  {
    name: '401',
    call: 'server',
    answer: err(401, 'AuthenticationException', 'Unauthenticated.'),
    kind: 'invalid_key',
    status: 401,
    says: ['did not accept the API key', 'Account → API Credentials'],
  },
  {
    name: '302 to the login page',
    call: 'account',
    answer: (res) => {
      res.writeHead(302, { location: '/auth/login' });
      res.end();
    },
    kind: 'invalid_key',
    status: 302,
    says: ['did not accept the API key'],
  },
  {
    name: '403 application key',
    call: 'account',
    answer: err(403, 'AccessDeniedHttpException', APP_KEY),
    kind: 'application_key',
    status: 403,
    says: ['application API key', 'client key', 'Account → API Credentials'],
    detail: APP_KEY,
  },
  {
    name: '403 IP restriction',
    call: 'server',
    answer: err(403, 'AccessDeniedHttpException', IP),
    kind: 'ip_not_allowed',
    status: 403,
    says: ['restricted to certain IP addresses'],
    detail: IP,
  },
  {
    name: '400 two-factor',
    call: 'server',
    answer: err(400, 'TwoFactorAuthRequiredException', TWO_FA),
    kind: 'two_factor_required',
    status: 400,
    says: ['two-factor authentication'],
  },
  {
    name: '403 two-factor',
    call: 'account',
    answer: err(403, 'AccessDeniedHttpException', TWO_FA),
    kind: 'two_factor_required',
    status: 403,
    says: ['two-factor'],
  },
  {
    name: '403 websocket',
    call: 'websocket',
    answer: err(403, 'HttpForbiddenException', "You do not have permission to connect to this server's websocket."),
    kind: 'missing_permission',
    status: 403,
    says: ['websocket.connect', SERVER],
  },
  {
    name: '403 start',
    call: 'start',
    answer: err(403, 'AccessDeniedHttpException', 'This action is unauthorized.'),
    kind: 'missing_permission',
    says: ['control.start'],
  },
  {
    name: '403 restart',
    call: 'restart',
    answer: err(403, 'AccessDeniedHttpException', 'This action is unauthorized.'),
    kind: 'missing_permission',
    says: ['control.restart'],
  },
  {
    name: '403 kill',
    call: 'kill',
    answer: err(403, 'AccessDeniedHttpException', 'This action is unauthorized.'),
    kind: 'missing_permission',
    says: ['control.stop'],
  },
  {
    name: '403 command',
    call: 'command',
    answer: err(403, 'AccessDeniedHttpException', 'This action is unauthorized.'),
    kind: 'missing_permission',
    says: ['control.console'],
  },
  {
    name: '404 unknown id',
    call: 'server',
    answer: err(404, 'NotFoundHttpException', 'The requested resource could not be found on the server.'),
    kind: 'server_not_found',
    status: 404,
    says: [SERVER, 'owns it', 'subuser'],
  },
  {
    name: '404 no access',
    call: 'websocket',
    answer: err(404, 'NotFoundHttpException', 'The requested resource does not exist on this server.'),
    kind: 'server_not_found',
    says: [SERVER],
  },
  {
    name: '404 HTML',
    call: 'server',
    answer: html(404),
    kind: 'bad_response',
    status: 404,
    says: ['not its API', 'is the URL right?'],
  },
  {
    name: '404 on the account',
    call: 'account',
    answer: err(404, 'NotFoundHttpException', 'x'),
    kind: 'bad_response',
    says: ['is the URL right?'],
  },
  {
    name: '409 suspended',
    call: 'start',
    answer: err(409, 'ConflictHttpException', SUSPENDED),
    kind: 'server_conflict',
    status: 409,
    says: ['suspended', SERVER],
    conflict: 'suspended',
    detail: SUSPENDED,
  },
  {
    name: '409 installing',
    call: 'websocket',
    answer: err(
      409,
      'ConflictHttpException',
      'This server has not yet completed its installation process, please try again later.',
    ),
    kind: 'server_conflict',
    says: ['installing'],
    conflict: 'installing',
  },
  {
    name: '409 transferring',
    call: 'command',
    answer: err(
      409,
      'ConflictHttpException',
      'This server is currently being transferred to a new machine, please try again later.',
    ),
    kind: 'server_conflict',
    says: ['another node'],
    conflict: 'transferring',
  },
  {
    name: '409 restoring',
    call: 'resources',
    answer: err(
      409,
      'ConflictHttpException',
      'This server is currently restoring from a backup, please try again later.',
    ),
    kind: 'server_conflict',
    says: ['backup'],
    conflict: 'restoring',
  },
  {
    name: '409 maintenance',
    call: 'start',
    answer: err(
      409,
      'ConflictHttpException',
      'The node of this server is currently under maintenance and the functionality requested is unavailable.',
    ),
    kind: 'server_conflict',
    says: ['maintenance'],
    conflict: 'maintenance',
  },
  {
    name: '409 install failed (Pelican)',
    call: 'start',
    answer: err(409, 'ConflictHttpException', 'The server installation has failed.'),
    kind: 'server_conflict',
    says: ['failed to install'],
    conflict: 'install_failed',
  },
  {
    name: '422',
    call: 'start',
    answer: err(422, 'ValidationException', 'The selected signal is invalid.'),
    kind: 'validation',
    status: 422,
    says: ['The selected signal is invalid.'],
  },
  {
    name: '429 without retries',
    call: 'server',
    answer: (res) =>
      json(res, 429, panelError(429, 'ThrottleRequestsException', 'Too Many Attempts.'), { 'retry-after': '42' }),
    kind: 'rate_limited',
    status: 429,
    says: ['rate-limiting', '42 s'],
  },
  {
    name: '502 command offline',
    call: 'command',
    answer: err(502, 'HttpException', 'Server must be online in order to send commands.'),
    kind: 'server_offline',
    status: 502,
    says: ['not running', 'start it'],
  },
  {
    name: '504 node unreachable',
    call: 'start',
    answer: err(504, 'DaemonConnectionException', NODE_DOWN),
    kind: 'node_unreachable',
    status: 504,
    says: ['cannot reach the node'],
  },
  {
    name: '500 node error',
    call: 'restart',
    answer: err(500, 'DaemonConnectionException', NODE_500),
    kind: 'node_error',
    status: 500,
    says: ['(500)'],
  },
  {
    name: '502 on power is a node error',
    call: 'start',
    answer: err(502, 'DaemonConnectionException', NODE_500),
    kind: 'node_error',
    status: 502,
    says: ['node'],
  },
  { name: '500 HTML', call: 'server', answer: html(500), kind: 'panel_error', status: 500, says: ['HTTP 500'] },
  { name: '503 HTML', call: 'start', answer: html(503), kind: 'panel_error', status: 503, says: ['HTTP 503'] },
  {
    name: '403 HTML (a firewall)',
    call: 'server',
    answer: html(403),
    kind: 'bad_response',
    status: 403,
    says: ['not its API'],
  },
  {
    name: '200 HTML',
    call: 'server',
    answer: html(200),
    kind: 'bad_response',
    status: 200,
    says: ['not its API — is the URL right?'],
  },
  {
    name: '200 truncated JSON',
    call: 'websocket',
    answer: (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":{"token":"eyJ');
    },
    kind: 'bad_response',
    says: ['not its API'],
  },
  {
    name: '200 wrong shape',
    call: 'resources',
    answer: (res) => json(res, 200, { object: 'stats', attributes: { current_state: 'exploded' } }),
    kind: 'bad_response',
    says: ['not its API'],
  },
  {
    name: '200 socket not a websocket URL',
    call: 'websocket',
    answer: (res) => json(res, 200, { data: { token: 'x', socket: 'file:///etc' } }),
    kind: 'bad_response',
    says: ['not its API'],
  },
  {
    name: '410 other panel error',
    call: 'server',
    answer: err(410, 'GoneHttpException', 'Gone.'),
    kind: 'panel_error',
    status: 410,
    says: ['HTTP 410', 'Gone.'],
  },
];

let stub: Stub;
let client: PanelClient;
beforeAll(async () => {
  stub = await startStub();
  client = new PanelClient({ panelUrl: stub.url, apiKey: KEY, timeoutMs: 5000, maxRetries: 0 });
});
afterAll(() => stub.close());

describe('panel answers → PanelError', () => {
  it.each(rows)('$name → $kind', async (row) => {
    stub.handler = (_req, res) => row.answer(res);
    const before = stub.requests.length;
    const error = await run(client, row.call).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PanelError);
    const e = error as PanelError;
    expect(e.kind).toBe(row.kind);
    if (row.status !== undefined) expect(e.status).toBe(row.status);
    for (const phrase of row.says) expect(e.userMessage).toContain(phrase);
    expect(e.userMessage).toContain('127.0.0.1:');
    if (row.detail !== undefined) expect(e.detail).toBe(row.detail);
    if (row.conflict !== undefined) expect(e.conflict).toBe(row.conflict);
    expect(e.message).toContain(e.kind);
    expect(stub.requests.length - before).toBe(1);
  });
});

describe('refused before any request', () => {
  it.each([
    ['a server id with a path in it', () => client.getServer('../account')],
    ['an empty command', () => client.sendCommand(SERVER, '   ')],
    ['an unknown power action', () => client.sendPower(SERVER, 'explode' as never)],
  ])('%s → validation', async (_name, act) => {
    const before = stub.requests.length;
    await expect(act()).rejects.toMatchObject({ kind: 'validation' });
    expect(stub.requests.length).toBe(before);
  });
});
