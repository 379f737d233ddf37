/**
 * Bad-input catalogue, panel side, through the user-facing surface: `/server add` in the real bot (Discord double), with
 * the panel URL pointing at a scripted stub that answers badly, or at an address the URL policy must refuse. Each case
 * pins the exact reply the admin sees; every refusal is ephemeral, stores nothing, follows no redirect, and leaks no key.
 * Unit-level coverage of the same mapping: test/panel-client-errors.test.ts, test/panel-url-policy.test.ts.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './e2e/harness.ts';
import { findSecrets, replyText, run } from './e2e/helpers.ts';
import { type Stub, type StubRequest, startStub } from './panel-stub-server.ts';

const KEY = `ptlc_${'a'.repeat(11)}${'s'.repeat(32)}`;
const SERVER = '1a2b3c4d';

interface AnswerCase {
  what: string;
  answer: (req: StubRequest, res: ServerResponse, other: Stub) => void;
  /** HOST and OTHER stand for the stub's host:port and the other host's origin. */
  reply: string;
  /** Requests the stub may see (a GET that is retried once on 502/503/504 counts twice). */
  requests?: number;
}

const html = (res: ServerResponse, status: number) =>
  res.writeHead(status, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>Login</body></html>');

const NOT_API = 'The panel at HOST answered with something that is not its API — is the URL right?';
const answerCases: AnswerCase[] = [
  {
    what: 'HTML instead of JSON (200)',
    answer: (_q, res) => html(res, 200),
    reply: NOT_API,
  },
  {
    what: 'truncated JSON (200)',
    answer: (_q, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"object":"server","attributes":{"identif'),
    reply: NOT_API,
  },
  {
    what: 'JSON of the wrong shape (200)',
    answer: (_q, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"object":"list","data":[]}'),
    reply: NOT_API,
  },
  {
    what: 'a redirect to another host (never followed)',
    answer: (_q, res, other) => res.writeHead(302, { Location: `${other.url}/api/client/servers/${SERVER}` }).end(),
    reply:
      'The panel at HOST redirected the request to OTHER instead of answering it; if that is where the panel lives, use that address.',
  },
  {
    what: 'a redirect to the login page (Laravel without a JSON Accept)',
    answer: (_q, res) => res.writeHead(302, { Location: '/auth/login' }).end(),
    reply:
      'The panel at HOST did not accept the API key (wrong, deleted or expired); create a client key under Account → API Credentials.',
  },
  {
    what: 'a 5 MiB body with Content-Length (capped)',
    answer: (_q, res) =>
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(5 * 1024 * 1024) })
        .end(Buffer.alloc(5 * 1024 * 1024, 0x20)),
    reply: 'The panel at HOST sent an answer larger than 1024 KiB, which is not what its API sends — is the URL right?',
  },
  {
    what: 'a 5 MiB chunked body (capped while reading)',
    answer: (_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      for (let i = 0; i < 80; i++) res.write(Buffer.alloc(64 * 1024, 0x20));
      res.end();
    },
    reply: 'The panel at HOST sent an answer larger than 1024 KiB, which is not what its API sends — is the URL right?',
  },
  {
    what: 'a 500 with an HTML error page',
    answer: (_q, res) => html(res, 500),
    reply: 'The panel at HOST had an internal problem (HTTP 500); try again later.',
  },
  {
    what: 'a 502 from a proxy (retried once, then reported)',
    answer: (_q, res) => html(res, 502),
    reply: 'The panel at HOST had an internal problem (HTTP 502); try again later.',
    requests: 2,
  },
  {
    what: 'a 404 HTML page (not the API)',
    answer: (_q, res) => html(res, 404),
    reply: NOT_API,
  },
];

describe('catalogue: bad panel answers, as the admin sees them', () => {
  let world: World;
  let stub: Stub;
  let other: Stub;
  let answer: AnswerCase['answer'] = (_q, res) => res.end();

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    stub = await startStub((req, res) => answer(req, res, other));
    other = await startStub((_req, res) => res.writeHead(200).end('{}'));
  });
  afterAll(async () => {
    await world?.close();
    await stub?.close();
    await other?.close();
  });

  it.each(answerCases)('$what', async (c) => {
    answer = c.answer;
    const before = stub.requests.length;
    const handle = run(world, {
      name: 'server',
      subcommand: 'add',
      options: { name: 'Stubbed', panel_url: stub.url, server_id: SERVER, api_key: KEY },
    });
    const text = await replyText(handle, () => true, 15_000);
    expect(text).toBe(c.reply.replace('HOST', new URL(stub.url).host).replace('OTHER', other.url));
    expect(handle.ephemeral).toBe(true);
    expect(stub.requests.length - before).toBe(c.requests ?? 1);
    expect(other.requests).toEqual([]);
    expect(await world.bot.store.bindings.listByGuild(world.guild.id)).toEqual([]);
  });

  describe('panel addresses the URL policy refuses before any request', () => {
    const LINK_LOCAL =
      "is a link-local or cloud-metadata address, which is never accepted as a panel; use the panel's public address.";
    const SCHEME =
      'The panel address must start with https:// (or http:// where allowed), like https://panel.example.com.';
    const urlCases: Array<{ url: string; reply: string }> = [
      { url: 'http://169.254.169.254', reply: `169.254.169.254 ${LINK_LOCAL}` },
      { url: 'https://169.254.10.1:8443', reply: `169.254.10.1 ${LINK_LOCAL}` },
      { url: 'http://metadata.google.internal', reply: `metadata.google.internal ${LINK_LOCAL}` },
      { url: 'http://100.100.100.200', reply: `100.100.100.200 ${LINK_LOCAL}` },
      { url: 'http://[::ffff:169.254.169.254]', reply: `[::ffff:a9fe:a9fe] ${LINK_LOCAL}` },
      { url: 'http://[fe80::1]:8080', reply: `[fe80::1] ${LINK_LOCAL}` },
      { url: 'https://[fd00:ec2::254]', reply: `[fd00:ec2::254] ${LINK_LOCAL}` },
      { url: 'http://0.0.0.0:8080', reply: `0.0.0.0 ${LINK_LOCAL}` },
      {
        url: 'http://[2001:db8::1]',
        reply:
          "The panel must be reached over https (use https://[2001:db8::1]); plain http is only accepted for a panel on this machine or when the bot's operator sets ALLOW_HTTP_PANELS=true.",
      },
      { url: 'file:///etc/passwd', reply: SCHEME },
      { url: 'javascript:alert(1)', reply: SCHEME },
      { url: 'data:text/html,<script>alert(1)</script>', reply: SCHEME },
      {
        url: 'https://admin:hunter2@panel.example.com',
        reply:
          'The panel address must not contain a user name or password; use https://panel.example.com and give the API key separately.',
      },
      { url: 'https://panel.example.com@169.254.169.254', reply: `169.254.169.254 ${LINK_LOCAL}` },
      {
        url: 'https://panel.example.com/server/1a2b3c4d',
        reply:
          "Use the panel's base address https://panel.example.com, not a page inside it (the server, 1a2b3c4d, is chosen separately).",
      },
      {
        url: 'panel.example.com',
        reply: 'The panel address needs its scheme: use https://panel.example.com (the address you open in a browser).',
      },
      {
        // The URL parser drops the line break: "everyone" becomes the host, the rest userinfo. Nothing pings.
        url: 'https://panel.example.com\n@everyone',
        reply:
          'The panel address must not contain a user name or password; use https://everyone and give the API key separately.',
      },
    ];
    it.each(urlCases)('$url', async ({ url, reply }) => {
      const before = stub.requests.length;
      const handle = run(world, {
        name: 'server',
        subcommand: 'add',
        options: { name: 'Stubbed', panel_url: url, server_id: SERVER, api_key: KEY },
      });
      const text = await replyText(handle);
      expect(text).toBe(reply);
      expect(handle.ephemeral).toBe(true);
      expect(handle.final()?.pinged).toEqual({ everyone: false, users: [], roles: [] });
      expect(stub.requests.length).toBe(before);
      expect(world.panel.metrics.requests()).toBe(0);
    });
  });

  it('no reply or log line carries the key', () => {
    expect(findSecrets(world, [KEY])).toEqual([]);
  });
});
