import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';

type Button = { custom_id: string; disabled?: boolean; label: string };
const buttonsOf = (m: { components?: unknown[] }): Button[] =>
  ((m.components ?? []) as Array<{ components: Button[] }>).flatMap((row) => row.components);

describe('power panel end to end', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let generalId: string;
  let panelId: string;

  const powerFrames = () =>
    world.panel.metrics.received(server.uuid).filter((f: { event: string }) => f.event === 'set state');

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    const added = world.addPanelServer('Survival');
    server = added.server;
    generalId = world.guild.channel('general').id;
    await world.bind('Survival', server, added.apiKey, {
      console_channel: world.guild.channel('console').id,
      moderator_role: world.modRole.id,
    });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    const handle = world.discord.invokeCommand({
      guildId: world.guild.id,
      channelId: generalId,
      member: world.admin,
      name: 'panel',
    });
    await eventually(() => handle.final()?.content.startsWith('Posted'), 'the /panel reply');
    const panel = world.discord.messages(generalId).find((m) => buttonsOf(m).length === 4);
    if (!panel) throw new Error('no panel message');
    panelId = panel.id;
  });
  afterAll(async () => {
    await world?.close();
  });

  const panelMessage = () => world.discord.message(panelId)!;
  const click = (customId: string, member = world.moderator) =>
    world.discord.clickButton({ guildId: world.guild.id, channelId: generalId, member, messageId: panelId, customId });

  it('shows the state and offers only Start while offline', () => {
    const embed = panelMessage().embeds[0] as APIEmbed;
    expect(embed.title).toBe('Survival');
    expect(embed.fields?.find((f) => f.name === 'State')?.value).toBe('⚫ offline');
    expect(buttonsOf(panelMessage()).map((b) => [b.label, Boolean(b.disabled)])).toEqual([
      ['Start', false],
      ['Stop', true],
      ['Restart', true],
      ['Kill', true],
    ]);
  });

  it("refuses an ordinary member's click and sends nothing to Wings", async () => {
    const start = buttonsOf(panelMessage())[0]!.custom_id;
    const handle = click(start, world.member);
    const reply = await handle.waitForReply((r) => r.kind === 'callback');
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^Only moderators can do that/);
    expect(powerFrames()).toHaveLength(0);
  });

  it('starts on a moderator click and the panel follows the state', async () => {
    const handle = click(buttonsOf(panelMessage())[0]!.custom_id);
    await eventually(() => handle.final()?.content.includes('running ✅'), 'the start reply');
    await eventually(
      () => (panelMessage().embeds[0] as APIEmbed).fields?.find((f) => f.name === 'State')?.value === '🟢 running',
      'the panel to show running',
    );
    expect(buttonsOf(panelMessage()).map((b) => Boolean(b.disabled))).toEqual([true, false, false, false]);
    const audit = await eventually(
      () =>
        world.discord
          .messages(world.guild.channel('console').id)
          .find((m) => m.content.includes('pressed **start** on the panel')),
      'the audit line',
    );
    expect(audit.content).toBe(`-# 🛠️ <@${world.moderator.user.id}> pressed **start** on the panel · Survival`);
    expect(audit.pinged).toEqual({ everyone: false, users: [], roles: [] });
  });

  it('asks before Stop; Cancel sends nothing', async () => {
    const before = powerFrames().length;
    const stop = buttonsOf(panelMessage())[1]!.custom_id;
    const ask = click(stop);
    const question = await ask.waitForReply((r) => r.kind === 'callback');
    expect(question.ephemeral).toBe(true);
    expect(question.content).toBe('Stop **Survival**? Players will be disconnected.');
    const cancelId = ask.final()!.components!.length
      ? buttonsOf(ask.final()!).find((b) => b.label === 'Cancel')!.custom_id
      : '';
    const cancel = world.discord.clickButton({
      guildId: world.guild.id,
      channelId: generalId,
      member: world.moderator,
      messageId: ask.final()!.id,
      customId: cancelId,
    });
    await eventually(() => cancel.final()?.content.startsWith('Cancelled'), 'the cancel');
    expect(powerFrames().length).toBe(before);
    expect(server.state).toBe('running');
  });

  it('Stop after confirmation stops the server', async () => {
    const ask = click(buttonsOf(panelMessage())[1]!.custom_id);
    await ask.waitForReply((r) => r.kind === 'callback');
    const confirmId = buttonsOf(ask.final()!).find((b) => b.label === 'Yes, stop')!.custom_id;
    const confirm = world.discord.clickButton({
      guildId: world.guild.id,
      channelId: generalId,
      member: world.moderator,
      messageId: ask.final()!.id,
      customId: confirmId,
    });
    await eventually(() => confirm.final()?.content.includes('offline ✅'), 'the stop to finish');
    expect(server.state).toBe('offline');
  });

  it('keeps updating the same message and answering its buttons after a bot restart', async () => {
    await world.stopBot();
    await world.startBot();
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket after restart');
    await server.power('start');
    await eventually(
      () => (panelMessage().embeds[0] as APIEmbed).fields?.find((f) => f.name === 'State')?.value === '🟢 running',
      'the old panel to show running',
    );
    const ask = click(buttonsOf(panelMessage())[3]!.custom_id);
    const question = await ask.waitForReply((r) => r.kind === 'callback');
    expect(question.content).toMatch(/^Kill \*\*Survival\*\*\?/);
  });

  it('answers a button of a server that was unbound, without touching Wings', async () => {
    const before = powerFrames().length;
    const kill = buttonsOf(panelMessage())[3]!.custom_id;
    const remove = world.discord.invokeCommand({
      guildId: world.guild.id,
      channelId: generalId,
      member: world.admin,
      name: 'server',
      subcommand: 'remove',
      options: { server: 'Survival' },
    });
    await eventually(() => remove.final()?.content.startsWith('Unbound'), 'the removal');
    const reply = await click(kill).waitForReply((r) => r.kind === 'callback');
    expect(reply.content).toBe("This panel's server is not bound in this Discord server (any more).");
    expect(powerFrames().length).toBe(before);
  });
});

describe('crash alert', () => {
  let world: World;
  afterAll(async () => {
    await world?.close();
  });

  it('pings the alert role, and only it', async () => {
    world = await startWorld();
    await world.startBot();
    const alert = world.discord.addRole(world.guild.id, { name: 'On-call', mentionable: false });
    const { server, apiKey } = world.addPanelServer('Survival');
    const consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, apiKey, { console_channel: consoleId, alert_role: alert.id });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');
    await eventually(
      () => world.discord.messages(consoleId).some((m) => m.content.includes('Survival is running')),
      'the running line',
    );
    server.emitConsole('@everyone the server is about to crash');
    server.crash({ exitCode: 1 });
    const ping = await eventually(
      () => world.discord.messages(consoleId).find((m) => m.pinged.roles.length > 0),
      'the crash ping',
    );
    expect(ping.pinged).toEqual({ everyone: false, users: [], roles: [alert.id] });
    for (const m of world.discord.messages(consoleId)) {
      if (m.id !== ping.id) expect(m.pinged).toEqual({ everyone: false, users: [], roles: [] });
    }
    expect(
      world.discord
        .messages(consoleId)
        .map((m) => m.content)
        .join('\n'),
    ).toContain('Survival crashed');
  });
});
