/**
 * /metrics and /healthz of one bot process, in-process against the doubles: values after real activity (a bind, a
 * command, feed lines, a dropped socket, token refreshes, Discord requests), no secret in any series, and /healthz
 * 200 when ready versus 503 before the gateway is ready or once the store stops answering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import {
  BotMetrics,
  botMetricsSource,
  type MetricsServer,
  observeBot,
  startMetricsServer,
} from '../src/metrics/index.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { JWT_SHAPE, replyText, run } from './e2e/helpers.ts';

/** The value of one series in Prometheus text, e.g. sample(text, 'ptero_bridge_commands_total{command="stats",result="ok"}'). */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** The sum of every series of a metric (all label sets). */
function total(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('metrics endpoint of one process', () => {
  let world: World;
  let metrics: BotMetrics;
  let endpoint: MetricsServer;
  let apiKey: string;
  let server: ReturnType<World['addPanelServer']>['server'];
  let consoleId: string;

  const scrape = async () => {
    const res = await fetch(`${endpoint.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  const health = async () => {
    const res = await fetch(`${endpoint.url}/healthz`);
    return { status: res.status, body: (await res.json()) as { status: string; reasons?: string[] } };
  };

  beforeAll(async () => {
    world = await startWorld({
      // Short-lived Wings tokens so the connection refreshes its JWT during the test.
      panel: { tokenLifetimeSec: 3, expiryTickMs: 500, expiringWindowSec: 2, wsTokenPerMinute: 0, limitRateScale: 0.1 },
      // Protocol timings scaled down on both sides (token budget, Wings' message limits) to match 3 s tokens.
      connectionOptions: { wsTokenLimit: { count: 100, perMs: 60_000 }, limits: { scale: 0.1 } },
      feedTuning: { replayFirstLineMs: 300, replayQuietMs: 100 },
    });
    await world.startBot();
    metrics = new BotMetrics();
    observeBot(metrics, world.bot);
    endpoint = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      source: botMetricsSource(metrics, world.bot),
      logger: createLogger({ level: 'silent' }),
    });
    const added = world.addPanelServer('Survival');
    server = added.server;
    apiKey = added.apiKey;
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, apiKey, { console_channel: consoleId });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');
  });
  afterAll(async () => {
    await endpoint?.close();
    await world?.close();
  });

  it('counts commands by name and result', async () => {
    const settled = (r: { kind: string; callbackType?: number }) => r.kind !== 'callback' || r.callbackType !== 5;
    await run(world, { name: 'stats', options: { server: 'Survival' } }).waitForReply(settled, 10_000);
    await replyText(run(world, { name: 'stats', options: { server: 'No Such Server' } }), (t) =>
      t.includes('No bound'),
    );
    const text = await scrape();
    expect(sample(text, 'ptero_bridge_commands_total{command="server",result="ok"}')).toBe(1);
    expect(sample(text, 'ptero_bridge_commands_total{command="stats",result="ok"}')).toBe(1);
    expect(sample(text, 'ptero_bridge_commands_total{command="stats",result="refused"}')).toBe(1);
  });

  it('counts feed lines, Discord requests, connection states, reconnects and token refreshes', async () => {
    server.emitConsole(['metrics line one', 'metrics line two']);
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('metrics line two')),
      'the lines in the channel',
    );
    await eventually(() => (world.bot.bridge.liveBindings()[0]?.connection.refreshes ?? 0) >= 1, 'a token refresh');
    world.panel.faults.dropSockets(server.uuid);
    await eventually(() => world.bot.bridge.liveBindings()[0]?.connection.socketsOpened === 2, 'a reconnect');
    const text = await scrape();
    expect(sample(text, 'ptero_bridge_feed_lines_total{outcome="received"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'ptero_bridge_feed_lines_total{outcome="inline"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'ptero_bridge_feed_lines_total{outcome="dropped"}')).toBe(0);
    expect(sample(text, 'ptero_bridge_wings_reconnects_total')).toBe(1);
    expect(sample(text, 'ptero_bridge_wings_token_refreshes_total')).toBeGreaterThanOrEqual(1);
    await eventually(() => world.bot.bridge.liveBindings()[0]?.connection.connectionState.kind === 'ready', 'ready');
    const again = await scrape();
    expect(sample(again, 'ptero_bridge_wings_connections{state="ready"}')).toBe(1);
    expect(sample(again, 'ptero_bridge_wings_connections{state="retrying"}')).toBe(0);
    expect(sample(again, 'ptero_bridge_gateway_ready')).toBe(1);
    expect(sample(again, 'ptero_bridge_bindings_live')).toBe(1);
    expect(sample(again, 'ptero_bridge_discord_requests_total{method="POST",status="200"}')).toBeGreaterThan(0);
    expect(total(again, 'ptero_bridge_discord_429_total')).toBe(0);
    // A 429 from Discord (on whichever request the feed makes next: a new message or an edit) is counted.
    world.discord.faults.failNext({ route: /^(POST|PATCH) \/channels\/\d+\/messages/, status: 429, retryAfterMs: 50 });
    server.emitConsole(['after a 429']);
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('after a 429')),
      'the line after the 429',
    );
    const after = await scrape();
    expect(total(after, 'ptero_bridge_discord_429_total')).toBe(1);
  });

  it('never shows a key, token or JWT', async () => {
    const text = await scrape();
    for (const secret of [apiKey, world.discord.botToken, world.env.ENCRYPTION_KEY ?? '']) {
      expect(secret.length).toBeGreaterThan(10);
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(JWT_SHAPE);
    expect(text).not.toContain(world.panel.panelUrl);
  });

  it('answers /healthz 200 when ready and 503 with a reason once the store is closed', async () => {
    expect(await health()).toEqual({ status: 200, body: { status: 'ok' } });
    await world.bot.store.close();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.reasons?.some((r) => r.startsWith('store:'))).toBe(true);
  });
});

describe('/healthz before the gateway is ready', () => {
  it('is 503 naming the gateway and the start', async () => {
    const world = await startWorld();
    const dir = await mkdtemp(path.join(tmpdir(), 'ptero-metrics-'));
    const config = loadConfig({ ...world.env, STORE_URL: `sqlite://${path.join(dir, 'early.sqlite')}` });
    const bot = await createBot({ config, logger: createLogger({ level: 'silent' }) });
    let started = false;
    const endpoint = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      source: botMetricsSource(new BotMetrics({ processMetrics: false }), bot, () => started),
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const before = await fetch(`${endpoint.url}/healthz`);
      expect(before.status).toBe(503);
      const body = (await before.json()) as { reasons: string[] };
      expect(body.reasons).toEqual(['starting: bindings not activated yet', 'gateway: not ready']);
      await bot.start();
      started = true;
      expect((await fetch(`${endpoint.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${endpoint.url}/nope`)).status).toBe(404);
    } finally {
      await endpoint.close();
      await bot.stop();
      await world.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
