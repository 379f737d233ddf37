// REST routes for the bot's own resources: gateway info, users, application, channels, messages, guilds.
import { ChannelType, PermissionFlagsBits } from 'discord-api-types/v10';
import type { RestServer } from './http.ts';
import { createMessage, deleteMessage, editMessage } from './messages.ts';
import type { ChannelRecord, GuildRecord, World } from './model.ts';
import type { Limit } from './ratelimit.ts';
import { ApiError, Errors } from './util.ts';
import type { Limits, MessageInput } from './validate.ts';

export interface RestRouteDeps {
  world: World;
  applicationId: string;
  gatewayUrl: () => string;
  shards: () => number;
  limits: Limits;
  rateLimits: { messageCreate: Limit; messageEdit: Limit; defaultRoute: Limit };
  /** Removes the bot from a guild and tells the gateway (leave or kick). */
  removeBot: (guildId: string) => void;
  /** Discord's 30046: at most `maxEdits` edits to a message once it is older than `ageMs` (off when undefined). */
  oldEditLimit?: { ageMs: number; maxEdits: number };
  sessionStartLimit: () => { total: number; remaining: number; reset_after: number; max_concurrency: number };
}

export function registerRestRoutes(rest: RestServer, d: RestRouteDeps): void {
  const { world } = d;
  const def = (p: Record<string, string>) => ({
    limit: d.rateLimits.defaultRoute,
    major: p.channel ?? p.guild ?? 'global',
  });

  const guildOf = (guildId: string): GuildRecord => {
    const guild = world.guilds.get(guildId);
    if (!guild) throw Errors.unknownGuild();
    if (!guild.botPresent) throw Errors.missingAccess();
    return guild;
  };
  const visibleChannel = (channelId: string): ChannelRecord => {
    const channel = world.channelIndex.get(channelId);
    if (!channel) throw Errors.unknownChannel();
    guildOf(channel.guildId);
    const perms = world.botPermissions(channel.guildId, channelId);
    if ((perms & PermissionFlagsBits.ViewChannel) === 0n) throw Errors.missingAccess();
    return channel;
  };
  const ownMessage = (channelId: string, messageId: string) => {
    const message = world.messages.get(messageId);
    if (!message || message.deleted || message.channelId !== channelId || message.ephemeral)
      throw Errors.unknownMessage();
    return message;
  };

  rest.add({
    method: 'GET',
    path: '/gateway',
    auth: 'none',
    bucket: def,
    handler: () => ({ status: 200, body: { url: d.gatewayUrl() } }),
  });
  rest.add({
    method: 'GET',
    path: '/gateway/bot',
    auth: 'bot',
    bucket: def,
    handler: () => ({
      status: 200,
      body: { url: d.gatewayUrl(), shards: d.shards(), session_start_limit: d.sessionStartLimit() },
    }),
  });
  rest.add({
    method: 'GET',
    path: '/users/@me',
    auth: 'bot',
    bucket: def,
    handler: () => ({
      status: 200,
      body: { ...world.userJson(world.botUser), verified: true, mfa_enabled: false, locale: 'en-US' },
    }),
  });
  rest.add({
    method: 'GET',
    path: '/users/:user',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const user = world.users.get(c.params.user as string);
      if (!user) throw Errors.unknownUser();
      return { status: 200, body: world.userJson(user) };
    },
  });
  rest.add({
    method: 'GET',
    path: '/applications/@me',
    auth: 'bot',
    bucket: def,
    handler: () => ({
      status: 200,
      body: {
        id: d.applicationId,
        name: world.botUser.username,
        icon: null,
        description: '',
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: '0'.repeat(64),
        flags: 0,
        team: null,
        owner: { id: '0', username: 'owner', discriminator: '0', avatar: null },
        bot: world.userJson(world.botUser),
        approximate_guild_count: [...world.guilds.values()].filter((g) => g.botPresent).length,
      },
    }),
  });
  rest.add({
    method: 'DELETE',
    path: '/users/@me/guilds/:guild',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      guildOf(c.params.guild as string);
      d.removeBot(c.params.guild as string);
      return { status: 204 };
    },
  });

  // ---- channels & messages ----
  rest.add({
    method: 'GET',
    path: '/channels/:channel',
    auth: 'bot',
    bucket: def,
    handler: (c) => ({ status: 200, body: world.channelJson(visibleChannel(c.params.channel as string)) }),
  });
  rest.add({
    method: 'POST',
    path: '/channels/:channel/messages',
    auth: 'bot',
    bucket: (p) => ({ limit: d.rateLimits.messageCreate, major: p.channel as string }),
    handler: (c) => {
      const channel = visibleChannel(c.params.channel as string);
      if (channel.type === ChannelType.GuildCategory || channel.type === ChannelType.GuildForum) {
        throw new ApiError(400, 50008, 'Cannot send messages in a non-text channel');
      }
      const perms = world.botPermissions(channel.guildId, channel.id);
      if ((perms & PermissionFlagsBits.SendMessages) === 0n) throw Errors.missingPermissions();
      if (c.files.length > 0 && (perms & PermissionFlagsBits.AttachFiles) === 0n) throw Errors.missingPermissions();
      const message = createMessage(world, {
        channelId: channel.id,
        input: c.body as MessageInput,
        files: c.files,
        source: 'message',
        author: world.botUser,
        limits: d.limits,
      });
      return { status: 200, body: world.messageJson(message) };
    },
  });
  rest.add({
    method: 'GET',
    path: '/channels/:channel/messages',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const channel = visibleChannel(c.params.channel as string);
      const perms = world.botPermissions(channel.guildId, channel.id);
      if ((perms & PermissionFlagsBits.ReadMessageHistory) === 0n) return { status: 200, body: [] };
      const limit = Math.min(100, Math.max(1, Number(c.query.get('limit') ?? 50)));
      const before = c.query.get('before');
      const list = (world.channelMessages.get(channel.id) ?? [])
        .filter((m) => !m.deleted && !m.ephemeral && (!before || BigInt(m.id) < BigInt(before)))
        .slice(-limit)
        .reverse();
      return { status: 200, body: list.map((m) => world.messageJson(m)) };
    },
  });
  rest.add({
    method: 'GET',
    path: '/channels/:channel/messages/:message',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const channel = visibleChannel(c.params.channel as string);
      const perms = world.botPermissions(channel.guildId, channel.id);
      if ((perms & PermissionFlagsBits.ReadMessageHistory) === 0n) throw Errors.missingAccess();
      return { status: 200, body: world.messageJson(ownMessage(channel.id, c.params.message as string)) };
    },
  });
  rest.add({
    method: 'PATCH',
    path: '/channels/:channel/messages/:message',
    auth: 'bot',
    bucket: (p) => ({ limit: d.rateLimits.messageEdit, major: p.channel as string }),
    handler: (c) => {
      const channel = visibleChannel(c.params.channel as string);
      const message = ownMessage(channel.id, c.params.message as string);
      if (message.author.id !== world.botUser.id || message.webhookId) throw Errors.notAuthor();
      const old = d.oldEditLimit;
      if (old && Date.now() - message.createdAt >= old.ageMs) {
        const oldEdits = message.edits.filter((e) => e.at - message.createdAt >= old.ageMs).length;
        if (oldEdits >= old.maxEdits) {
          throw new ApiError(
            400,
            30046,
            'Maximum number of edits to messages older than 1 hour reached. Try again later.',
          );
        }
      }
      editMessage(world, message, c.body as MessageInput, c.files, d.limits);
      return { status: 200, body: world.messageJson(message) };
    },
  });
  rest.add({
    method: 'DELETE',
    path: '/channels/:channel/messages/:message',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const channel = visibleChannel(c.params.channel as string);
      const message = ownMessage(channel.id, c.params.message as string);
      const perms = world.botPermissions(channel.guildId, channel.id);
      if (message.author.id !== world.botUser.id && (perms & PermissionFlagsBits.ManageMessages) === 0n) {
        throw Errors.missingPermissions();
      }
      deleteMessage(world, message);
      return { status: 204 };
    },
  });

  // ---- guilds ----
  rest.add({
    method: 'GET',
    path: '/guilds/:guild',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const guild = guildOf(c.params.guild as string);
      const body = world.guildJson(guild);
      if (c.query.get('with_counts') === 'true') {
        Object.assign(body, { approximate_member_count: guild.members.size, approximate_presence_count: 0 });
      }
      return { status: 200, body };
    },
  });
  rest.add({
    method: 'GET',
    path: '/guilds/:guild/channels',
    auth: 'bot',
    bucket: def,
    handler: (c) => ({
      status: 200,
      body: [...guildOf(c.params.guild as string).channels.values()].map((ch) => world.channelJson(ch)),
    }),
  });
  rest.add({
    method: 'GET',
    path: '/guilds/:guild/roles',
    auth: 'bot',
    bucket: def,
    handler: (c) => ({
      status: 200,
      body: [...guildOf(c.params.guild as string).roles.values()].map((r) => world.roleJson(r)),
    }),
  });
  rest.add({
    method: 'GET',
    path: '/guilds/:guild/members/:user',
    auth: 'bot',
    bucket: def,
    handler: (c) => {
      const guild = guildOf(c.params.guild as string);
      const member = guild.members.get(c.params.user as string);
      if (!member) throw Errors.unknownMember();
      return { status: 200, body: world.memberJson(member) };
    },
  });
}
