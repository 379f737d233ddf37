/**
 * Which panel failures stop a Wings connection for good: only the panel's own typed refusals, never a proxy's 403/404
 * page; and a stopped shared connection gets one fresh attempt when someone new subscribes to it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CallContext, errorFromResponse } from '../src/panel/errors.ts';
import { fatalPanelFailure } from '../src/wings/errors.ts';
import { WingsHub } from '../src/wings/hub.ts';
import { startPanelWingsDouble } from './doubles/panel-wings/index.ts';
import { captureLog, waitFor } from './wings-support.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const ctx: CallContext = {
  host: 'panel.example.com',
  method: 'GET',
  path: '/api/client/servers/abcd1234/websocket',
  serverId: 'abcd1234',
  permission: 'websocket.connect',
};
const panelJson = (detail: string) => JSON.stringify({ errors: [{ code: 'X', status: '4xx', detail }] });
const CLOUDFLARE = '<!DOCTYPE html><html><title>Just a moment...</title><body>Checking your browser</body></html>';

describe('fatalPanelFailure', () => {
  it.each([
    ['a Cloudflare challenge (403 HTML)', errorFromResponse(ctx, 403, CLOUDFLARE), undefined],
    ['a maintenance page (404 HTML)', errorFromResponse(ctx, 404, '<h1>Down for maintenance</h1>'), undefined],
    ['a 403 with an empty body', errorFromResponse(ctx, 403, ''), undefined],
    [
      'the panel refusing the permission (403 JSON)',
      errorFromResponse(ctx, 403, panelJson('nope')),
      'missing_permission',
    ],
    ['the panel not knowing the server (404 JSON)', errorFromResponse(ctx, 404, panelJson('gone')), 'server_not_found'],
    ['the panel refusing the key (401)', errorFromResponse(ctx, 401, CLOUDFLARE), 'invalid_key'],
    [
      'an application key (403 JSON)',
      errorFromResponse(ctx, 403, panelJson('This is an Application API key')),
      'invalid_key',
    ],
    ['a 503', errorFromResponse(ctx, 503, CLOUDFLARE), undefined],
    ['an untyped 403', { status: 403 }, 'missing_permission'],
    ['an untyped 404', { status: 404 }, 'server_not_found'],
    ['a kind no-one defined, with 403', { kind: 'constructor', status: 403 }, undefined],
  ])('%s', (_what, error, expected) => {
    expect(fatalPanelFailure(error)?.code).toBe(expected);
  });
});

describe('Wings connection and panel refusals', () => {
  async function setup() {
    const double = await startPanelWingsDouble({ limitRateScale: 0.05, wsTokenPerMinute: 0 });
    cleanup.push(() => double.close());
    const server = double.addServer({ name: 'Survival', state: 'running' });
    const key = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
    const hub = new WingsHub({
      logger: captureLog().logger,
      connectionOptions: { limits: { scale: 0.05 }, backoff: { initialMs: 20, maxMs: 100 } },
    });
    cleanup.push(() => hub.closeAll());
    const target = { panelUrl: double.panelUrl, serverId: server.identifier, apiKey: key };
    return { double, server, hub, target };
  }

  it('keeps retrying through a proxy’s 403 page and connects once it is gone', async () => {
    const { double, hub, target } = await setup();
    double.faults.panelFailures({ status: 403, count: 2, body: CLOUDFLARE });
    const sub = hub.subscribe(target);
    const kinds: string[] = [];
    sub.connection.on('state', (s) => kinds.push(s.kind));
    await sub.connection.waitForReady(5000);
    expect(kinds).toContain('retrying');
    expect(kinds).not.toContain('stopped');
  });

  it('gives a stopped shared connection one fresh attempt when a new subscriber arrives', async () => {
    const { double, server, hub, target } = await setup();
    const first = hub.subscribe(target);
    await first.connection.waitForReady(5000);
    double.faults.setSuspended(server.identifier, true);
    await waitFor(() => first.connection.connectionState.kind === 'stopped', 5000, 'stop on suspension');
    expect(first.connection.connectionState).toMatchObject({ code: 'suspended' });

    const before = double.metrics.requests({ route: 'GET /api/client/servers/{server}' });
    // Still suspended: the new subscriber's attempt costs one panel call and stops again, no retry loop.
    const second = hub.subscribe(target);
    expect(second.connection).toBe(first.connection);
    await waitFor(
      () => double.metrics.requests({ route: 'GET /api/client/servers/{server}' }) === before + 1,
      5000,
      'one attempt',
    );
    await waitFor(() => second.connection.connectionState.kind === 'stopped', 5000, 'stopped again');

    double.faults.setSuspended(server.identifier, false);
    const third = hub.subscribe(target);
    await third.connection.waitForReady(5000);
    expect(first.connection.connectionState.kind).toBe('ready');
  });
});
