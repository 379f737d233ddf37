// The double's world: users, guilds, channels, roles, members, messages, and their JSON shapes as Discord sends them.
import { ChannelType, PermissionFlagsBits } from 'discord-api-types/v10';
import { channelPermissions, type Overwrite, type PermissionInput, toPermissionBits } from './permissions.ts';
import { Signal, snowflake } from './util.ts';

export interface UserRecord {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
}

export interface RoleRecord {
  id: string;
  guildId: string;
  name: string;
  permissions: bigint;
  position: number;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  managed: boolean;
  botId?: string;
}

export interface ChannelRecord {
  id: string;
  guildId: string;
  name: string;
  type: ChannelType;
  position: number;
  parentId: string | null;
  topic: string | null;
  overwrites: Overwrite[];
}

export interface MemberRecord {
  guildId: string;
  user: UserRecord;
  roles: string[];
  joinedAt: string;
  nick: string | null;
}

export interface GuildRecord {
  id: string;
  name: string;
  ownerId: string;
  joinedAt: string;
  channels: Map<string, ChannelRecord>;
  roles: Map<string, RoleRecord>;
  members: Map<string, MemberRecord>;
  botRoleId: string;
  /** false once the bot was kicked or left: Discord then answers 403 Missing Access for it. */
  botPresent: boolean;
}

export interface StoredAttachment {
  id: string;
  filename: string;
  size: number;
  contentType: string;
  description?: string;
  content: Buffer;
}

export interface Pinged {
  everyone: boolean;
  users: string[];
  roles: string[];
}

export interface MessageEdit {
  at: number;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: string[];
}

export interface StoredMessage {
  id: string;
  channelId: string;
  guildId: string;
  author: UserRecord;
  content: string;
  embeds: Record<string, unknown>[];
  components: Record<string, unknown>[];
  flags: number;
  allowedMentions: unknown;
  attachments: StoredAttachment[];
  createdAt: number;
  editedAt: number | null;
  /** Previous versions, oldest first; the current version is the message itself. */
  edits: MessageEdit[];
  pinged: Pinged;
  /** Mention ids that appear in content (rendered highlight), pinged or not. */
  mentionedUsers: string[];
  mentionedRoles: string[];
  mentionEveryone: boolean;
  ephemeral: boolean;
  deleted: boolean;
  /** Set for interaction responses and follow-ups. */
  interactionId?: string;
  interactionUser?: UserRecord;
  webhookId?: string;
  type: number;
}

export const DEFAULT_EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.UseExternalEmojis |
  PermissionFlagsBits.CreateInstantInvite |
  PermissionFlagsBits.ChangeNickname |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.Speak;

/** What a bot invited with a typical permission set holds; MentionEveryone included so a careless @everyone WOULD ping. */
export const DEFAULT_BOT_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.MentionEveryone |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.UseExternalEmojis;

export type Dispatcher = (guildId: string | null, event: string, data: unknown) => void;

export class World {
  readonly users = new Map<string, UserRecord>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channelIndex = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, StoredMessage>();
  readonly channelMessages = new Map<string, StoredMessage[]>();
  readonly messageSignal = new Signal();
  dispatch: Dispatcher = () => {};

  constructor(readonly botUser: UserRecord) {
    this.users.set(botUser.id, botUser);
  }

  createUser(username: string, bot = false): UserRecord {
    const user: UserRecord = { id: snowflake(), username, globalName: null, bot };
    this.users.set(user.id, user);
    return user;
  }

  guild(guildId: string): GuildRecord {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`discord double: no guild ${guildId}`);
    return guild;
  }

  channel(channelId: string): ChannelRecord {
    const channel = this.channelIndex.get(channelId);
    if (!channel) throw new Error(`discord double: no channel ${channelId}`);
    return channel;
  }

  member(guildId: string, userId: string): MemberRecord {
    const member = this.guild(guildId).members.get(userId);
    if (!member) throw new Error(`discord double: user ${userId} is not a member of guild ${guildId}`);
    return member;
  }

  permissionsOf(guildId: string, userId: string, channelId?: string): bigint {
    const guild = this.guild(guildId);
    const member = this.member(guildId, userId);
    const subject = {
      guildId,
      ownerId: guild.ownerId,
      userId,
      roleIds: member.roles,
      rolePermissions: (id: string) => guild.roles.get(id)?.permissions,
    };
    const overwrites = channelId ? this.channel(channelId).overwrites : [];
    return channelPermissions(subject, overwrites);
  }

  botPermissions(guildId: string, channelId?: string): bigint {
    return this.permissionsOf(guildId, this.botUser.id, channelId);
  }

  addRole(
    guildId: string,
    input: { name: string; permissions?: PermissionInput; mentionable?: boolean; color?: number; hoist?: boolean },
    extra: Partial<RoleRecord> = {},
  ): RoleRecord {
    const guild = this.guild(guildId);
    const role: RoleRecord = {
      id: snowflake(),
      guildId,
      name: input.name,
      permissions: toPermissionBits(input.permissions),
      position: guild.roles.size,
      color: input.color ?? 0,
      hoist: input.hoist ?? false,
      mentionable: input.mentionable ?? false,
      managed: false,
      ...extra,
    };
    guild.roles.set(role.id, role);
    return role;
  }

  addChannel(
    guildId: string,
    input: {
      name: string;
      type?: ChannelType;
      topic?: string;
      parentId?: string;
      botCanSend?: boolean;
      overwrites?: { id: string; type: 0 | 1; allow?: PermissionInput; deny?: PermissionInput }[];
    },
  ): ChannelRecord {
    const guild = this.guild(guildId);
    const overwrites: Overwrite[] = (input.overwrites ?? []).map((o) => ({
      id: o.id,
      type: o.type,
      allow: toPermissionBits(o.allow),
      deny: toPermissionBits(o.deny),
    }));
    const channel: ChannelRecord = {
      id: snowflake(),
      guildId,
      name: input.name,
      type: input.type ?? ChannelType.GuildText,
      position: guild.channels.size,
      parentId: input.parentId ?? null,
      topic: input.topic ?? null,
      overwrites,
    };
    guild.channels.set(channel.id, channel);
    this.channelIndex.set(channel.id, channel);
    if (input.botCanSend === false) this.setBotCanSend(channel, false);
    return channel;
  }

  /** Implemented as a member overwrite on the bot so the gateway data and discord.js's own permission checks agree. */
  setBotCanSend(channel: ChannelRecord, canSend: boolean): void {
    channel.overwrites = channel.overwrites.filter((o) => !(o.type === 1 && o.id === this.botUser.id));
    if (!canSend) {
      channel.overwrites.push({ id: this.botUser.id, type: 1, allow: 0n, deny: PermissionFlagsBits.SendMessages });
    }
  }

  addMember(guildId: string, user: UserRecord, roles: string[] = []): MemberRecord {
    const guild = this.guild(guildId);
    const member: MemberRecord = { guildId, user, roles, joinedAt: new Date().toISOString(), nick: null };
    guild.members.set(user.id, member);
    return member;
  }

  storeMessage(message: StoredMessage): void {
    this.messages.set(message.id, message);
    let list = this.channelMessages.get(message.channelId);
    if (!list) {
      list = [];
      this.channelMessages.set(message.channelId, list);
    }
    list.push(message);
    this.messageSignal.notify();
  }

  // ---- JSON shapes ----

  userJson(user: UserRecord): Record<string, unknown> {
    return {
      id: user.id,
      username: user.username,
      global_name: user.globalName,
      discriminator: user.bot ? '0001' : '0',
      avatar: null,
      bot: user.bot || undefined,
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
    };
  }

  roleJson(role: RoleRecord): Record<string, unknown> {
    return {
      id: role.id,
      name: role.name,
      color: role.color,
      colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
      hoist: role.hoist,
      icon: null,
      unicode_emoji: null,
      position: role.position,
      permissions: role.permissions.toString(),
      managed: role.managed,
      mentionable: role.mentionable,
      flags: 0,
      ...(role.botId ? { tags: { bot_id: role.botId } } : {}),
    };
  }

  channelJson(channel: ChannelRecord, withGuildId = true): Record<string, unknown> {
    return {
      id: channel.id,
      type: channel.type,
      ...(withGuildId ? { guild_id: channel.guildId } : {}),
      name: channel.name,
      position: channel.position,
      parent_id: channel.parentId,
      topic: channel.topic,
      nsfw: false,
      last_message_id: this.channelMessages.get(channel.id)?.at(-1)?.id ?? null,
      rate_limit_per_user: 0,
      flags: 0,
      permission_overwrites: channel.overwrites.map((o) => ({
        id: o.id,
        type: o.type,
        allow: o.allow.toString(),
        deny: o.deny.toString(),
      })),
    };
  }

  memberJson(member: MemberRecord, withUser = true): Record<string, unknown> {
    return {
      ...(withUser ? { user: this.userJson(member.user) } : {}),
      nick: member.nick,
      avatar: null,
      banner: null,
      roles: [...member.roles],
      joined_at: member.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
    };
  }

  guildJson(guild: GuildRecord): Record<string, unknown> {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId,
      region: 'deprecated',
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...guild.roles.values()].map((r) => this.roleJson(r)),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_presences: null,
      max_members: 500000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      incidents_data: null,
    };
  }

  /** GUILD_CREATE payload: the guild plus the gateway-only extras. */
  guildCreateJson(guild: GuildRecord): Record<string, unknown> {
    return {
      ...this.guildJson(guild),
      joined_at: guild.joinedAt,
      large: false,
      unavailable: false,
      member_count: guild.members.size,
      voice_states: [],
      members: [...guild.members.values()].map((m) => this.memberJson(m)),
      channels: [...guild.channels.values()].map((c) => this.channelJson(c, false)),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      lazy: true,
    };
  }

  attachmentJson(a: StoredAttachment, channelId: string): Record<string, unknown> {
    const url = `https://cdn.discordapp.com/attachments/${channelId}/${a.id}/${encodeURIComponent(a.filename)}`;
    return {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url,
      proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
      content_type: a.contentType,
      ...(a.description ? { description: a.description } : {}),
    };
  }

  /** The REST shape of a message (no guild_id/member; the gateway adds those). */
  messageJson(m: StoredMessage): Record<string, unknown> {
    return {
      id: m.id,
      type: m.type,
      channel_id: m.channelId,
      author: this.userJson(m.author),
      content: m.content,
      timestamp: new Date(m.createdAt).toISOString(),
      edited_timestamp: m.editedAt === null ? null : new Date(m.editedAt).toISOString(),
      tts: false,
      mention_everyone: m.pinged.everyone,
      mentions: m.mentionedUsers.flatMap((id) => {
        const user = this.users.get(id);
        return user ? [this.userJson(user)] : [];
      }),
      mention_roles: m.mentionedRoles,
      mention_channels: [],
      attachments: m.attachments.map((a) => this.attachmentJson(a, m.channelId)),
      embeds: m.embeds,
      components: m.components,
      pinned: false,
      flags: m.flags,
      ...(m.webhookId ? { webhook_id: m.webhookId, application_id: m.webhookId } : {}),
      ...(m.interactionId
        ? {
            interaction_metadata: {
              id: m.interactionId,
              type: 2,
              user: this.userJson(m.interactionUser ?? m.author),
              authorizing_integration_owners: { '0': m.guildId },
            },
          }
        : {}),
    };
  }
}
