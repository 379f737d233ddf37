import { Client, DiscordAPIError, Events, GatewayIntentBits, type Interaction, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordDouble, startDiscordDouble } from './doubles/discord/index.ts';

// The self-test drives a real discord.js Client against the double; handlers below play the bot.
type Handler = (interaction: Interaction) => Promise<void>;

describe('discord double with a real discord.js client', () => {
  let discord: DiscordDouble;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let admin: ReturnType<DiscordDouble['addMember']>;
  const handlers = new Map<string, Handler>();

  beforeAll(async () => {
    discord = await startDiscordDouble({
      heartbeatMs: 300,
      rateLimits: { messageCreate: { limit: 5, windowMs: 1000 } },
    });
    const guild = discord.addGuild({
      name: 'Test Guild',
      channels: ['general', 'console', { name: 'locked', botCanSend: false }],
    });
    guildId = guild.id;
    generalId = guild.channel('general').id;
    admin = discord.addMember(guildId, { username: 'admin', permissions: ['Administrator'] });
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiBase } });
    client.on(Events.InteractionCreate, (interaction) => {
      const key = interaction.isChatInputCommand()
        ? interaction.commandName
        : interaction.isButton()
          ? `button:${interaction.customId}`
          : interaction.isAutocomplete()
            ? `auto:${interaction.commandName}`
            : 'other';
      const handler = handlers.get(key);
      if (handler) void handler(interaction).catch(() => {});
    });
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    await client.login(discord.botToken);
    await ready;
    await client.application?.commands.set([
      { name: 'ping', description: 'Ping' },
      { name: 'slow', description: 'Deferred' },
      {
        name: 'server',
        description: 'Server things',
        options: [
          {
            type: 1,
            name: 'power',
            description: 'Power',
            options: [
              { type: 3, name: 'server', description: 'Which', required: true, autocomplete: true },
              { type: 4, name: 'count', description: 'How many' },
            ],
          },
        ],
      },
    ]);
  });

  afterAll(async () => {
    await client?.destroy();
    await discord?.close();
  });

  it('logs in, becomes ready and caches the guild, channels and roles', () => {
    const guild = client.guilds.cache.get(guildId);
    expect(guild?.name).toBe('Test Guild');
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual(['console', 'general', 'locked']);
    expect(guild?.members.me?.id).toBe(discord.botUser.id);
    expect(discord.metrics.identifies).toBe(1);
    expect(discord.metrics.identifyLog[0]?.intents).toBe(GatewayIntentBits.Guilds);
    expect(discord.registeredCommands().map((c) => c.name)).toEqual(['ping', 'slow', 'server']);
  });

  it('delivers a slash command and records interaction.reply', async () => {
    handlers.set('ping', async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    const reply = await handle.waitForReply();
    expect(reply.callbackType).toBe(4);
    expect(reply.content).toBe('pong');
    expect(handle.ephemeral).toBe(true);
    expect(handle.deadlineMet).toBe(true);
    expect(handle.final()?.content).toBe('pong');
  });

  it('records deferReply + editReply', async () => {
    handlers.set('slow', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await i.editReply('done');
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'slow' });
    await handle.waitForReply((r) => r.kind === 'edit');
    expect(handle.responses.map((r) => [r.kind, r.callbackType])).toEqual([
      ['callback', 5],
      ['edit', undefined],
    ]);
    expect(handle.final()?.content).toBe('done');
    expect(discord.messages(generalId).some((m) => m.content === 'done')).toBe(true);
  });

  const general = () => {
    const channel = client.channels.cache.get(generalId);
    if (!channel?.isSendable()) throw new Error('general is not sendable');
    return channel;
  };

  it('records followUp after reply, ephemeral follow-ups, and the first follow-up after a defer fills it', async () => {
    handlers.set('ping', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply('first');
      await i.followUp({ content: 'secret', flags: MessageFlags.Ephemeral });
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    const follow = await handle.waitForReply((r) => r.kind === 'followup');
    expect(follow.ephemeral).toBe(true);
    expect(handle.ephemeral).toBe(false);
    expect(handle.followups().map((m) => m.content)).toEqual(['secret']);

    handlers.set('slow', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.followUp('filled');
    });
    const deferred = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'slow' });
    await deferred.waitForReply((r) => r.kind === 'followup');
    expect(deferred.final()?.content).toBe('filled');
    expect(deferred.final()?.ephemeral).toBe(true);
    expect(deferred.followups()).toEqual([]);
  });

  it('routes autocomplete with typed options from the registered command', async () => {
    handlers.set('auto:server', async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      await i.respond([{ name: `match ${typed}`, value: typed }]);
    });
    const handle = discord.autocomplete({
      guildId,
      channelId: generalId,
      member: admin,
      name: 'server',
      subcommand: 'power',
      options: { server: 'surv', count: 2 },
      focused: 'server',
    });
    expect(await handle.waitForChoices()).toEqual([{ name: 'match surv', value: 'surv' }]);
  });

  it('records button update and deferUpdate + editReply on the clicked message', async () => {
    const sent = await general().send({
      content: 'panel',
      components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: 'start', label: 'Start' }] }],
    });
    handlers.set('button:start', async (i) => {
      if (i.isButton()) await i.update({ content: 'starting', components: [] });
    });
    const click = discord.clickButton({
      guildId,
      channelId: generalId,
      member: admin,
      messageId: sent.id,
      customId: 'start',
    });
    await click.waitForReply();
    expect(click.ackType).toBe(7);
    const stored = discord.message(sent.id);
    expect(stored?.content).toBe('starting');
    expect(stored?.edits.map((e) => e.content)).toEqual(['panel']);

    const again = await general().send({
      content: 'panel 2',
      components: [{ type: 1, components: [{ type: 2, style: 4, custom_id: 'stop', label: 'Stop' }] }],
    });
    handlers.set('button:stop', async (i) => {
      if (!i.isButton()) return;
      await i.deferUpdate();
      await i.editReply({ content: 'stopped' });
    });
    const click2 = discord.clickButton({
      guildId,
      channelId: generalId,
      member: admin,
      messageId: again.id,
      customId: 'stop',
    });
    await click2.waitForReply((r) => r.kind === 'edit');
    expect(click2.ackType).toBe(6);
    expect(click2.final()?.id).toBe(again.id);
    expect(discord.message(again.id)?.content).toBe('stopped');
  });

  it('records who would be pinged: parse [] pings nobody, the default pings @everyone', async () => {
    const quiet = await general().send({ content: '@everyone quiet', allowedMentions: { parse: [] } });
    const loud = await general().send({ content: '@everyone loud' });
    expect(discord.message(quiet.id)?.pinged).toEqual({ everyone: false, users: [], roles: [] });
    expect(discord.message(loud.id)?.pinged.everyone).toBe(true);
    const user = await general().send({ content: `<@${admin.user.id}>`, allowedMentions: { users: [] } });
    expect(discord.message(user.id)?.pinged.users).toEqual([]);
    expect(discord.message(user.id)?.mentionedUsers).toEqual([admin.user.id]);
  });

  it('lands every message under the per-channel limit without exceeding it, and absorbs a 429', async () => {
    const consoleId = discord.guild(guildId).channel('console').id;
    const channel = client.channels.cache.get(consoleId);
    if (!channel?.isSendable()) throw new Error('console not sendable');
    await Promise.all(Array.from({ length: 8 }, (_, n) => channel.send(`line ${n}`)));
    const landed = discord.messages(consoleId);
    expect(landed.map((m) => m.content).sort()).toEqual(Array.from({ length: 8 }, (_, n) => `line ${n}`).sort());
    // Fixed 5-per-1000 ms windows: the 6th message can only be created once the first window has reset.
    const times = landed.map((m) => m.createdAt);
    expect((times[5] as number) - (times[0] as number)).toBeGreaterThanOrEqual(1000 - 50);

    const before = discord.metrics.rateLimited;
    discord.faults.failNext({ route: 'POST /channels/:channel/messages', status: 429, retryAfterMs: 100 });
    await channel.send('after 429');
    expect(discord.metrics.rateLimited).toBe(before + 1);
    expect(discord.messages(consoleId).at(-1)?.content).toBe('after 429');
  });

  it('stores attachments with their bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 3, 250, 251, 252]);
    const sent = await general().send({ content: 'log', files: [{ attachment: bytes, name: 'console.log' }] });
    const stored = discord.message(sent.id);
    expect(stored?.attachments.map((a) => [a.filename, a.size])).toEqual([['console.log', bytes.length]]);
    expect(stored?.attachments[0]?.content.equals(bytes)).toBe(true);
    expect(sent.attachments.first()?.name).toBe('console.log');
  });

  it('answers 403 50013 in a channel where the bot cannot send', async () => {
    const locked = client.channels.cache.get(discord.guild(guildId).channel('locked').id);
    if (!locked?.isTextBased() || !('send' in locked)) throw new Error('locked channel missing');
    const err = await locked.send('hi').catch((e: unknown) => e);
    expect((err as DiscordAPIError).code).toBe(50013);
    expect((err as DiscordAPIError).status).toBe(403);
  });

  it('resumes after close 4000 without a new IDENTIFY and still delivers interactions', async () => {
    const identifies = discord.metrics.identifies;
    discord.closeGateway(4000);
    await discord.waitFor(() => discord.metrics.resumes === 1 || undefined, 5000, 'a RESUME');
    expect(discord.metrics.identifies).toBe(identifies);
    handlers.set('ping', async (i) => {
      if (i.isChatInputCommand()) await i.reply('still here');
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    expect((await handle.waitForReply()).content).toBe('still here');
  });

  it('tells the client about a new guild and a kick (GUILD_CREATE / GUILD_DELETE)', async () => {
    const added = new Promise<string>((resolve) => client.once(Events.GuildCreate, (g) => resolve(g.id)));
    const second = discord.addGuild({ name: 'Second' });
    expect(await added).toBe(second.id);
    const removed = new Promise<string>((resolve) => client.once(Events.GuildDelete, (g) => resolve(g.id)));
    discord.kickBot(second.id);
    expect(await removed).toBe(second.id);
    expect(client.guilds.cache.has(second.id)).toBe(false);
  });

  it('rejects a 2001-char message with DiscordAPIError 50035', async () => {
    const channel = client.channels.cache.get(generalId);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const err = await channel.send('x'.repeat(2001)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
  });
});
