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

  it('rejects a 2001-char message with DiscordAPIError 50035', async () => {
    const channel = client.channels.cache.get(generalId);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const err = await channel.send('x'.repeat(2001)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
  });
});
