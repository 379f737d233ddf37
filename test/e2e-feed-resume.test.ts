/**
 * A paused feed (the console channel refused the bot) resumes as soon as Discord says the channel changed, not at the
 * next probe; and while paused, audit announcements do not add refused requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { run } from './e2e/helpers.ts';

describe('a refused console channel that gets fixed', () => {
  let world: World;

  beforeAll(async () => {
    // A rest far longer than the test: only the channel update can resume the feed in time.
    world = await startWorld({ feedTuning: { pausedRetryMs: 10 * 60_000 } });
    await world.startBot();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('resumes on CHANNEL_UPDATE and skips announcements while paused', async () => {
    const channel = world.discord.addChannel(world.guild.id, { name: 'console-fixable' });
    const { server, apiKey } = world.addPanelServer('Survival');
    await world.bind('Survival', server, apiKey, { console_channel: channel.id });
    const live = await eventually(() => world.bot.bridge.liveBindings()[0], 'the binding');
    await eventually(() => live.connection.serverState === 'offline', 'the first status');
    const feed = world.bot.feeds.feedOf(live);
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');

    const posts = () =>
      world.discord.metrics.requestLog.filter(
        (r) => r.method === 'POST' && r.path === `/channels/${channel.id}/messages`,
      );
    world.discord.updateChannel(channel.id, { botCanSend: false });
    // Longer than what is left in the newest message, so it needs a new one (editing our own message is still allowed).
    server.emitConsole(`held 1 ${'='.repeat(1900)}`);
    await eventually(() => feed.paused, 'the pause');
    const refusedSoFar = posts().filter((r) => r.status === 403).length;

    // A moderator acts while the channel refuses: the audit entry is stored, the announcement is not attempted.
    const cmd = run(world, { name: 'cmd', options: { command: 'say hi' } });
    await eventually(() => cmd.final()?.content.startsWith('Sent'), 'the /cmd reply');
    expect(posts().filter((r) => r.status === 403).length).toBe(refusedSoFar);

    world.discord.updateChannel(channel.id, { botCanSend: true });
    await eventually(() => !feed.paused && feed.planner.pendingLines === 0, 'the feed to resume', 10_000);
    const text = world.discord
      .messages(channel.id)
      .map((m) => m.content)
      .join('\n');
    expect(text).toContain('held 1');
    expect(text).toContain('say hi');
  });
});
