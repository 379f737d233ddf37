/**
 * State changes mirrored into the console channel: one distinct line per change, attributed only when the bot caused
 * it, a crash named as such, the state found at connect not reported; Wings' throttle notice kept and counted.
 */
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from '../src/feed/ansi.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { run, runText } from './e2e/helpers.ts';

describe('status mirroring', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let consoleId: string;

  beforeAll(async () => {
    world = await startWorld({
      panel: { consoleThrottle: { lines: 50, intervalMs: 60_000 } },
      // Audit lines are messages of their own; a shorter create window keeps the file fast.
      discord: { rateLimits: { messageCreate: { limit: 5, windowMs: 1000 } } },
    });
    await world.startBot();
    const added = world.addPanelServer('Survival');
    server = added.server;
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, added.apiKey, { console_channel: consoleId });
    // The feed's own socket has authenticated and learnt the state (the bind's check used a socket of its own).
    await eventually(() => world.bot.bridge.liveBindings()[0]?.connection.serverState === 'offline', 'the feed socket');
  });
  afterAll(async () => {
    await world?.close();
  });

  /** The channel as people read it: final message texts, colours stripped. */
  const feedText = () =>
    world.discord
      .messages(consoleId)
      .map((m) => stripAnsi(m.content))
      .join('\n');
  const statusLines = () => Array.from(feedText().matchAll(/^» .*$/gm), (m) => m[0]);
  const waitForLine = (text: string) =>
    eventually(() => statusLines().includes(text), `“${text}”`).catch((error: Error) => {
      throw new Error(`${error.message}; status lines so far:\n${statusLines().join('\n')}`);
    });

  it('does not report the state found at connect as a change', async () => {
    // Lines of its own make sure the feed is live and posting before looking for status lines.
    await server.power('start');
    await waitForLine('» ● Survival is running');
    expect(statusLines()).toEqual(['» ● Survival is starting', '» ● Survival is running']);
    expect(feedText()).not.toMatch(/Survival is offline/);
  });

  it('attributes the changes a member asked for, and only those', async () => {
    const stop = await runText(world, { name: 'stop' }, (t) => t.includes('offline'));
    expect(stop).toContain('offline');
    await waitForLine('» ● Survival is offline (asked by alice-admin)');
    const start = await runText(world, { name: 'start' }, (t) => t.includes('running'));
    expect(start).toContain('running');
    await waitForLine('» ● Survival is running (asked by alice-admin)');
    // Someone stops it on the panel a moment later: the bot did not cause this.
    await server.power('stop');
    await waitForLine('» ● Survival is offline');
    expect(statusLines().slice(2)).toEqual([
      '» ● Survival is stopping (asked by alice-admin)',
      '» ● Survival is offline (asked by alice-admin)',
      '» ● Survival is starting (asked by alice-admin)',
      '» ● Survival is running (asked by alice-admin)',
      '» ● Survival is stopping',
      '» ● Survival is offline',
    ]);
  });

  it('reports running → offline without stopping as a crash, once', async () => {
    const started = statusLines().length;
    await server.power('start');
    await eventually(() => statusLines().length === started + 2, 'starting and running');
    const before = statusLines().length;
    server.crash({ exitCode: 137 });
    const crash = '» ✖ Survival crashed: it went running → offline without being stopped';
    await waitForLine(crash);
    // Wings restarts it on its own afterwards (the first crash in crashTimeoutSec).
    await eventually(() => statusLines().length >= before + 3, 'the automatic restart');
    expect(statusLines().slice(before, before + 3)).toEqual([
      crash,
      '» ● Survival is starting',
      '» ● Survival is running',
    ]);
    expect(statusLines().filter((l) => l === crash)).toHaveLength(1);
  });

  it("keeps Wings' throttle notice in the feed and counts it in /server list", async () => {
    server.emitConsole(Array.from({ length: 80 }, (_, i) => `spam ${String(i).padStart(2, '0')}`));
    await eventually(() => feedText().includes('throttling...'), 'the throttle notice in the channel');
    const notice = feedText()
      .split('\n')
      .filter((l) => l.includes('Server is outputting console data too quickly -- throttling...'));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatch(/^\[Pterodactyl Daemon\]:/);
    const live = world.bot.bridge.liveBindings()[0]!;
    expect(world.bot.feeds.feedOf(live).planner.counters.throttleNotices).toBe(1);
    const handle = run(world, { name: 'server', subcommand: 'list' });
    const embed = await eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, 'the list embed');
    expect(embed.fields?.find((f) => f.name === 'Survival')?.value).toContain('1 Wings throttle notices');
  });
});
