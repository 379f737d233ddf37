/**
 * Review finding: /stats is open to every member, so it must not be a lever on panel and Wings traffic. It never
 * reconnects a stopped socket, reuses the panel's limits, shows the stats frame Wings pushes while the server runs
 * instead of asking, and concurrent asks for an idle server share one `send stats`.
 */
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { replyText, run, runText } from './e2e/helpers.ts';

const DETAILS = 'GET /api/client/servers/{server}';

describe('/stats traffic (review finding)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];
  let survivalKey: string;
  let idle: ReturnType<World['addPanelServer']>['server'];
  let shut: ReturnType<World['addPanelServer']>['server'];

  const statsFrames = (uuid: string) =>
    world.panel.metrics.received(uuid).filter((f: { event: string }) => f.event === 'send stats').length;
  const statsEmbed = async (server: string) => {
    const handle = run(world, { name: 'stats', member: world.member, options: { server } });
    return eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, `the /stats embed of ${server}`);
  };

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    for (const name of ['Survival', 'Idle', 'Shut']) {
      const { server, apiKey } = world.addPanelServer(name);
      expect(await replyText(await world.bind(name, server, apiKey))).toMatch(/^Bound/);
      if (name === 'Survival') [survival, survivalKey] = [server, apiKey];
      else if (name === 'Idle') idle = server;
      else shut = server;
    }
    await eventually(
      () => world.bot.bridge.liveBindings().every((l) => l.connection.connectionState.kind === 'ready'),
      'every socket ready',
    );
    expect(await runText(world, { name: 'start', options: { server: 'Survival' } }, (t) => t.includes('✅'))).toBe(
      '**Survival**: starting… running ✅',
    );
  }, 30_000);
  afterAll(async () => {
    await world?.close();
  });

  it('a running server: the pushed stats are shown, Wings is not asked, the panel once for the limits', async () => {
    const live = await world.bot.bridge.resolve(world.guild.id, 'Survival');
    await eventually(
      () => live.connection.lastStats?.state === 'running',
      'a pushed stats frame of the running server',
    );
    const framesBefore = statsFrames(survival.uuid);
    const detailsBefore = world.panel.metrics.requests({ route: DETAILS, key: survivalKey });
    for (let i = 0; i < 3; i++) {
      const embed = await statsEmbed('Survival');
      expect(embed.fields?.find((f) => f.name === 'State')?.value).toBe('🟢 running');
    }
    expect(statsFrames(survival.uuid)).toBe(framesBefore);
    expect(world.panel.metrics.requests({ route: DETAILS, key: survivalKey })).toBe(detailsBefore + 1);
  });

  it('an idle server: concurrent asks share one `send stats`', async () => {
    const bridge = world.bot.bridge;
    const live = await bridge.resolve(world.guild.id, 'Idle');
    // Offline, Wings pushes nothing: with no freshness window every ask needs an answer from Wings.
    const fresh = bridge.statsTuning.statsFreshMs;
    bridge.statsTuning.statsFreshMs = 0;
    try {
      const before = statsFrames(idle.uuid);
      const all = await Promise.all(Array.from({ length: 5 }, () => bridge.freshStats(live)));
      expect(all.map((s) => s.state)).toEqual(Array(5).fill('offline'));
      expect(statsFrames(idle.uuid)).toBe(before + 1);
    } finally {
      bridge.statsTuning.statsFreshMs = fresh;
    }
  });

  it('a stopped socket: /stats says why and does not reconnect; a moderator command still does', async () => {
    shut.suspend();
    await eventually(
      () =>
        world.bot.bridge.liveBindings().find((l) => l.binding.name === 'Shut')?.connection.connectionState.kind ===
        'stopped',
      'the socket to stop on the suspension',
    );
    shut.unsuspend();
    const tokens = world.panel.metrics.wsTokenRequests(shut.identifier);
    const upgrades = world.panel.metrics.upgrades.length;
    const handle = run(world, { name: 'stats', member: world.member, options: { server: 'Shut' } });
    expect(await replyText(handle)).toBe('Shut is not connected: The server is suspended on the panel.');
    expect(handle.ephemeral).toBe(true);
    expect(world.panel.metrics.wsTokenRequests(shut.identifier)).toBe(tokens);
    expect(world.panel.metrics.upgrades.length).toBe(upgrades);

    expect(await runText(world, { name: 'start', options: { server: 'Shut' } }, (t) => t.includes('✅'))).toBe(
      '**Shut**: starting… running ✅',
    );
  });
});
