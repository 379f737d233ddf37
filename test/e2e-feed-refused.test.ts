/**
 * A console channel that refuses the bot: 403 (Send Messages taken away) or 404 (channel deleted). The binding's feed
 * pauses with the reason in `/server list`, tries no more than one probe per pausedRetryMs while the console keeps
 * printing, and once the channel is fixed the queued lines arrive.
 */
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { run } from './e2e/helpers.ts';

const PAUSED_RETRY_MS = 300;
/** Longer than the rest of a message, so each line needs a new message (POST) rather than an edit of the last one. */
const longLine = (tag: string, n: number) => `${tag} ${String(n).padStart(3, '0')} ${'='.repeat(1200)}`;

describe('a console channel that refuses the bot', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({
      feedTuning: { pausedRetryMs: PAUSED_RETRY_MS },
      // A shorter create window so draining the queued lines after the fix takes a second, not ten.
      discord: { rateLimits: { messageCreate: { limit: 5, windowMs: 1000 } } },
    });
    await world.startBot();
  });
  afterAll(async () => {
    await world?.close();
  });

  async function bindRunning(name: string, channelName: string) {
    const channel = world.discord.addChannel(world.guild.id, { name: channelName });
    const { server, apiKey } = world.addPanelServer(name);
    await world.bind(name, server, apiKey, { console_channel: channel.id });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    await server.power('start');
    await eventually(
      () => world.discord.messages(channel.id).some((m) => m.content.includes(`${name} is running`)),
      'the running line',
    );
    const live = world.bot.bridge.liveBindings().find((l) => l.binding.name === name)!;
    return { server, channelId: channel.id, feed: world.bot.feeds.feedOf(live) };
  }

  /** POSTs (message creates) that reached the double for one channel, with their answers. */
  const posts = (channelId: string) =>
    world.discord.metrics.requestLog.filter((r) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`);

  /** Prints a numbered line every 20 ms until `count` lines are out. */
  function keepPrinting(server: { emitConsole(l: string): void }, tag: string, count: number): Promise<void> {
    let n = 0;
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        server.emitConsole(longLine(tag, n++));
        if (n === count) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
  }

  async function listField(name: string): Promise<string> {
    const handle = run(world, { name: 'server', subcommand: 'list' });
    const embed = await eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, 'the list embed');
    return embed.fields?.find((f) => f.name === name)?.value ?? '';
  }

  /** Asserts the pause held: one refused POST, then at most one probe per pausedRetryMs. */
  function expectNoHammering(channelId: string, status: number, sinceIndex: number) {
    const refused = posts(channelId)
      .slice(sinceIndex)
      .filter((r) => r.status === status);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const span = Date.now() - refused[0]!.at;
    console.info(`${status}: ${refused.length} refused POSTs over ${span} ms (pausedRetryMs ${PAUSED_RETRY_MS})`);
    expect(refused.length).toBeLessThanOrEqual(1 + Math.floor(span / PAUSED_RETRY_MS));
    expect(posts(channelId).slice(sinceIndex).length).toBe(refused.length);
  }

  it('403: pauses with the reason shown, probes sparingly, then delivers every queued line once fixed', async () => {
    const { server, channelId, feed } = await bindRunning('Survival', 'console-403');
    const before = posts(channelId).length;
    world.discord.updateChannel(channelId, { botCanSend: false });
    await keepPrinting(server, 'held', 60);
    expect(feed.paused).toMatch(/permission to post in the console channel/);
    expectNoHammering(channelId, 403, before);
    expect(await listField('Survival')).toContain(`Feed paused: ${feed.paused}`);

    world.discord.updateChannel(channelId, { botCanSend: true });
    const text = () =>
      world.discord
        .messages(channelId)
        .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
        .join('\n');
    await eventually(() => feed.planner.pendingLines === 0 && !feed.paused, 'the queue to drain', 15_000);
    const numbers = [...text().matchAll(/held (\d{3})/g)].map((m) => Number(m[1]));
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(feed.planner.counters.dropped).toBe(0);
    expect(await listField('Survival')).not.toContain('Feed paused');
  });

  it('404: a deleted console channel pauses the feed with the reason and is not hammered', async () => {
    const { server, channelId, feed } = await bindRunning('Creative', 'console-404');
    const before = posts(channelId).length;
    world.discord.deleteChannel(channelId);
    await keepPrinting(server, 'lost', 60);
    expect(feed.paused).toBe('the console channel no longer exists');
    expectNoHammering(channelId, 404, before);
    expect(await listField('Creative')).toContain('Feed paused: the console channel no longer exists');
    expect(feed.planner.pendingLines).toBe(60);
  });
});
