/** WingsHub against the panel+Wings double, with the default PanelClient per target. */
import { afterEach, describe, expect, it } from 'vitest';
import { WingsHub } from '../src/wings/hub.ts';
import { type PanelWingsDouble, startPanelWingsDouble } from './doubles/panel-wings/index.ts';
import { captureLog, waitFor } from './wings-support.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(wsTokenLimit = { count: 100, perMs: 60_000 }) {
  const double: PanelWingsDouble = await startPanelWingsDouble({ limitRateScale: 0.05, wsTokenPerMinute: 0 });
  cleanup.push(() => double.close());
  const server = double.addServer({ name: 'Survival', state: 'running' });
  const key1 = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
  const key2 = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
  const key3 = double.addApiKey({ servers: { [server.identifier]: ['*'] } });
  const hub = new WingsHub({
    logger: captureLog().logger,
    connectionOptions: { limits: { scale: 0.05 }, backoff: { initialMs: 40, maxMs: 400 }, wsTokenLimit },
  });
  cleanup.push(() => hub.closeAll());
  const target = (apiKey: string) => ({ panelUrl: double.panelUrl, serverId: server.identifier, apiKey });
  return { double, server, hub, target, key1, key2, key3 };
}

describe('WingsHub', () => {
  it('shares one socket per (panel, server, key) and closes it when the last subscriber leaves', async () => {
    const { double, server, hub, target, key1, key2 } = await setup();
    const a = hub.subscribe(target(key1));
    // Same panel written differently, same key: still the same connection.
    const b = hub.subscribe({ ...target(key1), panelUrl: `${double.panelUrl}/` });
    expect(b.connection).toBe(a.connection);
    expect(hub.size).toBe(1);
    await a.connection.waitForReady(5000);
    expect(double.metrics.openSockets(server.uuid)).toBe(1);

    // Another key is another identity (other permissions): its own socket.
    const c = hub.subscribe(target(key2));
    expect(c.connection).not.toBe(a.connection);
    expect(hub.size).toBe(2);
    await c.connection.waitForReady(5000);
    expect(double.metrics.openSockets(server.uuid)).toBe(2);

    a.release();
    a.release(); // idempotent: must not take b's reference with it
    expect(hub.size).toBe(2);
    expect(a.connection.connectionState.kind).toBe('ready');

    b.release();
    expect(hub.size).toBe(1);
    await waitFor(() => double.metrics.openSockets(server.uuid) === 1, 5000, 'the shared socket to close');
    expect(a.connection.connectionState).toMatchObject({ kind: 'stopped', code: 'closed' });

    // A later subscriber gets a fresh connection.
    const d = hub.subscribe(target(key1));
    expect(d.connection).not.toBe(a.connection);
    await d.connection.waitForReady(5000);
    expect(double.metrics.upgrades.filter((u) => u.accepted)).toHaveLength(3);

    await hub.closeAll();
    expect(hub.size).toBe(0);
    await waitFor(() => double.metrics.openSockets(server.uuid) === 0, 5000, 'every socket to close');
  });

  it('shares the websocket-token budget of a server between keys', async () => {
    const { double, server, hub, target, key1, key2, key3 } = await setup({ count: 2, perMs: 60_000 });
    const a = hub.subscribe(target(key1));
    const b = hub.subscribe(target(key2));
    await a.connection.waitForReady(5000);
    await b.connection.waitForReady(5000);
    const c = hub.subscribe(target(key3));
    expect(c.connection.connectionState).toMatchObject({ kind: 'retrying', reason: expect.stringMatching(/limit/) });
    expect(double.metrics.wsTokenRequests(server.identifier)).toBe(2);
  });
});
