import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';

/** The text a moderator sees for an interaction once it settled on `predicate`. */
async function replyText(handle: { final(): { content: string } | undefined }, predicate: (t: string) => boolean) {
  return eventually(() => {
    const text = handle.final()?.content;
    return text !== undefined && predicate(text) ? text : undefined;
  }, 'the reply');
}

describe('the bot end to end', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let apiKey: string;

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    ({ server, apiKey } = world.addPanelServer('Survival'));
  });
  afterAll(async () => {
    await world?.close();
  });

  it('registers its commands to the configured guild at start', () => {
    const names = world.discord.registeredCommands(world.guild.id).map((c: { name: string }) => c.name);
    expect(names.sort()).toEqual([
      'audit',
      'cmd',
      'kill',
      'logs',
      'panel',
      'restart',
      'server',
      'start',
      'stats',
      'stop',
    ]);
  });

  it('binds a server with /server add and says what it found', async () => {
    const handle = await world.bind('Survival', server, apiKey, { console_channel: world.guild.channel('console').id });
    const text = await replyText(handle, (t) => t.startsWith('Bound'));
    expect(text).toContain('Survival');
    expect(text).toContain(server.identifier);
    expect(text).toContain('Key permissions: all (server owner)');
    expect(handle.ephemeral).toBe(true);
    expect(text).not.toContain(apiKey);
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the Wings socket');
  });

  it('/start follows the status events into the reply', async () => {
    const handle = world.discord.invokeCommand({
      guildId: world.guild.id,
      channelId: world.guild.channel('general').id,
      member: world.admin,
      name: 'start',
    });
    const text = await replyText(handle, (t) => t.includes('✅') || t.includes('—'));
    expect(text).toBe('**Survival**: starting… running ✅');
    expect(server.state).toBe('running');
    expect(handle.deadlineMet).toBe(true);
  });

  it('/cmd reaches the server and replies with what followed', async () => {
    const handle = world.discord.invokeCommand({
      guildId: world.guild.id,
      channelId: world.guild.channel('general').id,
      member: world.admin,
      name: 'cmd',
      options: { command: 'say hello' },
    });
    const text = await replyText(handle, (t) => t.startsWith('Sent'));
    expect(text).toContain('> say hello');
    const received = world.panel.metrics
      .received(server.uuid)
      .filter((f: { event: string }) => f.event === 'send command');
    expect(received.map((f: { args: string[] }) => f.args)).toContainEqual(['say hello']);
  });

  it('/stats renders an embed for any member', async () => {
    const handle = world.discord.invokeCommand({
      guildId: world.guild.id,
      channelId: world.guild.channel('general').id,
      member: world.member,
      name: 'stats',
    });
    const embed = await eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, 'the stats embed');
    expect(embed.title).toBe('Survival');
    const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields.State).toBe('🟢 running');
    expect(fields.CPU).toMatch(/% of one core/);
    expect(fields.Memory).toMatch(/MiB|GiB|B/);
    expect(handle.ephemeral).toBe(false);
  });
});
