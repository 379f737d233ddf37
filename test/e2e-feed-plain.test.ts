/**
 * Console text that tries to escape the code block or ping people, in both feed modes; and FEED_ANSI=false: plain
 * ``` blocks with no escape character anywhere the bot writes (feed, status lines, /logs, /cmd).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { runText } from './e2e/helpers.ts';

describe.each(['true', 'false'])('FEED_ANSI=%s', (ansi) => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let consoleId: string;

  beforeAll(async () => {
    world = await startWorld({
      env: { FEED_ANSI: ansi },
      feedTuning: { replayFirstLineMs: 500, replayQuietMs: 100 },
      discord: {
        rateLimits: { messageCreate: { limit: 5, windowMs: 1000 }, messageEdit: { limit: 5, windowMs: 1000 } },
      },
    });
    await world.startBot();
    const added = world.addPanelServer('Survival');
    server = added.server;
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, added.apiKey, { console_channel: consoleId });
    await eventually(() => world.bot.bridge.liveBindings()[0]?.connection.serverState === 'offline', 'the socket');
    await server.power('start');
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('Survival is running')),
      'the running line',
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  const open = ansi === 'true' ? '```ansi\n' : '```\n';

  it('never pings and never lets console text open or close the block', async () => {
    const hostile = [
      '```',
      '````js',
      'text ``` more ``',
      'ends with a backtick `',
      '\u001b[31m```\u001b[0m coloured fence',
      '@everyone look',
      'hey @here',
      `<@${world.member.user.id}> and <@!${world.member.user.id}>`,
      `<@&${world.modRole.id}> and <@&${world.guild.everyoneRoleId}>`,
      'marker-end',
    ];
    server.emitConsole(hostile);
    // Long enough to need several messages, so fences around every split are checked too.
    server.emitConsole(
      Array.from({ length: 60 }, (_, i) => `${'`'.repeat(1 + (i % 4))} @everyone ${i} ${'x'.repeat(60)}`),
    );
    server.emitConsole('flood-end');
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('flood-end')),
      'the lines in the channel',
    );
    const messages = world.discord.messages(consoleId);
    expect(messages.length).toBeGreaterThan(2);
    for (const m of messages) {
      expect(m.pinged).toEqual({ everyone: false, users: [], roles: [] });
      expect(m.content.length).toBeLessThanOrEqual(2000);
      expect(m.content.startsWith(open)).toBe(true);
      expect(m.content.endsWith('\n```')).toBe(true);
      expect(m.content.split('```')).toHaveLength(3);
      expect(m.content).not.toMatch(/@(everyone|here)/);
      expect(m.content).not.toMatch(/<@[!&]?\d+>/);
    }
    const text = messages.map((m) => m.content).join('\n');
    expect(text).toContain('marker-end');
    expect(text.replace(/\u200b/g, '')).toContain('@everyone look');
  });

  it.runIf(ansi === 'false')('writes no escape character anywhere: feed, status lines, /logs, /cmd', async () => {
    server.emitConsole([
      '\u001b[1;32mgreen bold\u001b[0m',
      '\u001b[38;5;208morange\u001b[39m text',
      '\u001b[2Kcleared',
    ]);
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('cleared')),
      'the coloured lines',
    );
    const logs = await runText(world, { name: 'logs', options: { lines: 3 } }, (t) => t.startsWith('Last'));
    const cmd = await runText(world, { name: 'cmd', options: { command: 'say \u00e9t\u00e9' } }, (t) =>
      t.startsWith('Sent'),
    );
    expect(logs).toContain('```\ngreen bold');
    expect(cmd).toContain('```\n');
    const channel = world.discord.messages(consoleId).map((m) => m.content);
    expect(channel.join('\n')).toContain('» ● Survival is running');
    for (const text of [...channel, logs, cmd]) expect(text).not.toMatch(/[\u001b\u009b]/);
    // Besides the audit line of the /cmd (a message of its own, outside any block), every message is a plain block.
    const blocks = channel.filter((text) => !text.startsWith('-# 🛠️ '));
    expect(blocks.length).toBe(channel.length - 1);
    for (const text of blocks) expect(text.startsWith('```\n')).toBe(true);
  });
});
