/** Retries, timeouts, connection failures, bodies that are not the API, and redirects — against real sockets. */
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PanelClient, type PanelClientOptions, PanelError } from '../src/panel/index.ts';
import { closedPort, json, panelError, type Stub, startStub } from './panel-stub-server.ts';

const KEY = ['ptlc', 'AbCdEfGhIjK0123456789abcdefghijklmnopqrstuv'].join('_');
const SERVER = '1a2b3c4d';
/** Timers may fire up to a millisecond early against another clock; never more. */
const TIMER_SLACK_MS = 5;

const account = { object: 'user', attributes: { id: 1, admin: false, username: 'u', email: 'u@example.com' } };
const tooMany = (res: ServerResponse, headers: Record<string, string>) =>
  json(res, 429, panelError(429, 'ThrottleRequestsException', 'Too Many Attempts.'), headers);
const noContent = (res: ServerResponse) => {
  res.writeHead(204);
  res.end();
};

let stub: Stub;
beforeAll(async () => {
  stub = await startStub();
});
afterAll(() => stub.close());
afterEach(() => {
  stub.requests.length = 0;
});

function client(options: Partial<PanelClientOptions> = {}): PanelClient {
  return new PanelClient({ panelUrl: stub.url, apiKey: KEY, timeoutMs: 5000, retryBackoffMs: 10, ...options });
}

async function failure(promise: Promise<unknown>): Promise<PanelError> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(PanelError);
  return result as PanelError;
}

describe('429 handling', () => {
  it('waits as long as Retry-After asks, then succeeds', async () => {
    stub.handler = (_req, res, i) => (i === 0 ? tooMany(res, { 'retry-after': '1' }) : json(res, 200, account));
    await expect(client().getAccount()).resolves.toMatchObject({ id: 1 });
    expect(stub.requests).toHaveLength(2);
    const gap = stub.requests[1]!.at - stub.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(1000 - TIMER_SLACK_MS);
  });

  it('honours a fractional X-RateLimit-Reset when there is no Retry-After', async () => {
    let resetMs = 0;
    stub.handler = (_req, res, i) => {
      if (i > 0) return json(res, 200, account);
      resetMs = Date.now() + 300;
      tooMany(res, { 'x-ratelimit-reset': (resetMs / 1000).toFixed(3) });
    };
    await client().getAccount();
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.wallAt).toBeGreaterThanOrEqual(resetMs - TIMER_SLACK_MS);
  });

  it('gives up after maxRetries with rate_limited and the wait asked for', async () => {
    stub.handler = (_req, res) => tooMany(res, { 'retry-after': '0' });
    const e = await failure(client({ maxRetries: 2 }).getServer(SERVER));
    expect(stub.requests).toHaveLength(3);
    expect(e).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 0 });
  });

  it('does not wait longer than the cap: a long Retry-After is reported at once', async () => {
    stub.handler = (_req, res) => tooMany(res, { 'retry-after': '60' });
    const e = await failure(client().getWebsocketCredentials(SERVER));
    expect(stub.requests).toHaveLength(1);
    expect(e).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
    expect(e.userMessage).toContain('60 s');
  });

  it('stops when the next wait would pass the total wait cap', async () => {
    stub.handler = (_req, res) => tooMany(res, { 'retry-after': '0.2' });
    const e = await failure(client({ maxRetries: 10, maxRetryWaitMs: 500 }).getServer(SERVER));
    expect(stub.requests).toHaveLength(3); // waited 200 + 200; a third wait would make 600 > 500
    expect(e.kind).toBe('rate_limited');
  });

  it('retries a POST on 429, because the panel did not act on it', async () => {
    stub.handler = (_req, res, i) => (i === 0 ? tooMany(res, { 'retry-after': '0' }) : noContent(res));
    await client().sendCommand(SERVER, 'list');
    expect(stub.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
  });
});

describe('5xx retries', () => {
  it('retries a GET once on 503', async () => {
    stub.handler = (_req, res, i) => (i === 0 ? res.writeHead(503).end() : json(res, 200, account));
    await expect(client().getAccount()).resolves.toMatchObject({ username: 'u' });
    expect(stub.requests).toHaveLength(2);
  });

  it('retries a GET only once on 504 and then reports the node', async () => {
    const body = panelError(
      504,
      'DaemonConnectionException',
      'Could not establish a connection to the machine running this server. Please try again.',
    );
    stub.handler = (_req, res) => json(res, 504, body);
    const e = await failure(client().getWebsocketCredentials(SERVER));
    expect(stub.requests).toHaveLength(2);
    expect(e.kind).toBe('node_unreachable');
  });

  it.each([502, 503, 504])('never retries a POST answered %i', async (status) => {
    stub.handler = (_req, res) => res.writeHead(status).end();
    await failure(client().sendPower(SERVER, 'start'));
    expect(stub.requests).toHaveLength(1);
  });

  it('does not retry at all with maxRetries 0', async () => {
    stub.handler = (_req, res) => res.writeHead(503).end();
    await failure(client({ maxRetries: 0 }).getServer(SERVER));
    expect(stub.requests).toHaveLength(1);
  });
});

describe('timeouts and unreachable panels', () => {
  it('a panel that never answers → panel_timeout', async () => {
    stub.handler = () => {};
    const e = await failure(client({ timeoutMs: 200 }).getServer(SERVER));
    expect(e.kind).toBe('panel_timeout');
    expect(e.userMessage).toContain('did not answer within 0.2 s');
  });

  it('a body that stalls after the headers → panel_timeout', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"user",');
    };
    const e = await failure(client({ timeoutMs: 200 }).getAccount());
    expect(e.kind).toBe('panel_timeout');
  });

  it('a closed port → panel_unreachable, refused', async () => {
    const port = await closedPort();
    const e = await failure(new PanelClient({ panelUrl: `http://127.0.0.1:${port}`, apiKey: KEY }).getAccount());
    expect(e.kind).toBe('panel_unreachable');
    expect(e.userMessage).toContain('refused the connection');
    expect(e.userMessage).toContain(`127.0.0.1:${port}`);
  });

  const networkFailure = (code: string) =>
    (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    }) as typeof fetch;

  it.each([
    ['ENOTFOUND', 'panel_unreachable', 'does not resolve'],
    ['EAI_AGAIN', 'panel_unreachable', 'does not resolve'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'panel_unreachable', 'TLS certificate'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'panel_unreachable', 'TLS certificate'],
    ['ECONNRESET', 'panel_unreachable', 'closed the connection'],
    ['UND_ERR_CONNECT_TIMEOUT', 'panel_timeout', 'did not answer'],
  ])('%s → %s', async (code, kind, phrase) => {
    const c = new PanelClient({ panelUrl: 'https://panel.example.com', apiKey: KEY, fetch: networkFailure(code) });
    const e = await failure(c.getAccount());
    expect(e.kind).toBe(kind);
    expect(e.userMessage).toContain(phrase);
    expect(e.userMessage).toContain('panel.example.com');
  });
});

describe('answers that are not the API', () => {
  it('a body cut off mid-way → bad_response', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"object":"user","attributes":', () => res.socket?.destroy());
    };
    const e = await failure(client().getAccount());
    expect(e.kind).toBe('bad_response');
    expect(e.userMessage).toContain('cut its answer off');
  });

  it('a huge streamed body is cut at the cap → bad_response', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 40; i++) res.write(chunk); // 2.5 MiB, chunked, no length announced
      res.end();
    };
    const e = await failure(client().getServer(SERVER));
    expect(e.kind).toBe('bad_response');
    expect(e.userMessage).toContain('larger than 1024 KiB');
  });

  it('a declared length over the cap is refused without reading', async () => {
    stub.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) });
      res.write('{');
    };
    const e = await failure(client({ maxBodyBytes: 1024 }).getServer(SERVER));
    expect(e.kind).toBe('bad_response');
    expect(e.userMessage).toContain('larger than 1 KiB');
  });

  it('a redirect to another host is not followed', async () => {
    const elsewhere = await startStub((_req, res) => json(res, 200, account));
    try {
      stub.handler = (_req, res) => res.writeHead(302, { location: `${elsewhere.url}/api/client/account` }).end();
      const e = await failure(client().getAccount());
      expect(e.kind).toBe('bad_response');
      expect(e.status).toBe(302);
      expect(e.userMessage).toContain(`redirected the request to ${elsewhere.url}`);
      expect(elsewhere.requests).toHaveLength(0);
      expect(stub.requests).toHaveLength(1);
    } finally {
      await elsewhere.close();
    }
  });

  it('an http → https redirect names the https address', async () => {
    stub.handler = (_req, res) =>
      res.writeHead(301, { location: 'https://panel.example.com/api/client/servers/1a2b3c4d' }).end();
    const e = await failure(client().getServer(SERVER));
    expect(e.kind).toBe('bad_response');
    expect(e.userMessage).toContain('https://panel.example.com');
  });
});
