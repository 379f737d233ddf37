// Setting up and changing the world from tests: guilds, channels, roles, members, the bot joining and leaving.
// Every change is dispatched on the gateway as Discord would (filtered by intent and shard there).
import type { ChannelType } from 'discord-api-types/v10';
import {
  type ChannelRecord,
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  type GuildRecord,
  type MemberRecord,
  type RoleRecord,
  type UserRecord,
  type World,
} from './model.ts';
import { type PermissionInput, toPermissionBits } from './permissions.ts';
import { snowflake } from './util.ts';

export interface ChannelInput {
  name: string;
  type?: ChannelType;
  topic?: string;
  parentId?: string;
  botCanSend?: boolean;
  overwrites?: { id: string; type: 0 | 1; allow?: PermissionInput; deny?: PermissionInput }[];
}

export interface RoleInput {
  name: string;
  permissions?: PermissionInput;
  mentionable?: boolean;
  color?: number;
  hoist?: boolean;
}

export interface GuildHandle {
  id: string;
  name: string;
  ownerId: string;
  owner: MemberRecord;
  everyoneRoleId: string;
  botRoleId: string;
  channels: ChannelRecord[];
  roles: RoleRecord[];
  channel(name: string): ChannelRecord;
  role(name: string): RoleRecord;
}

export function createWorldApi(world: World, botUser: UserRecord, removeBot: (guildId: string) => void) {
  const toHandle = (guild: GuildRecord): GuildHandle => {
    const channels = [...guild.channels.values()];
    const roles = [...guild.roles.values()];
    return {
      id: guild.id,
      name: guild.name,
      ownerId: guild.ownerId,
      owner: world.member(guild.id, guild.ownerId),
      everyoneRoleId: guild.id,
      botRoleId: guild.botRoleId,
      channels,
      roles,
      channel: (name) => {
        const c = [...guild.channels.values()].find((x) => x.name === name);
        if (!c) throw new Error(`discord double: no channel #${name} in ${guild.name}`);
        return c;
      },
      role: (name) => {
        const r = [...guild.roles.values()].find((x) => x.name === name);
        if (!r) throw new Error(`discord double: no role @${name} in ${guild.name}`);
        return r;
      },
    };
  };

  return {
    addGuild(input: {
      name: string;
      ownerId?: string;
      channels?: (string | ChannelInput)[];
      roles?: RoleInput[];
      botPermissions?: PermissionInput;
      id?: string;
    }): GuildHandle {
      const id = input.id ?? snowflake();
      const owner =
        (input.ownerId ? world.users.get(input.ownerId) : undefined) ?? world.createUser(`${input.name}-owner`);
      const guild: GuildRecord = {
        id,
        name: input.name,
        ownerId: owner.id,
        joinedAt: new Date().toISOString(),
        channels: new Map(),
        roles: new Map(),
        members: new Map(),
        botRoleId: '',
        botPresent: true,
      };
      world.guilds.set(id, guild);
      guild.roles.set(id, {
        id,
        guildId: id,
        name: '@everyone',
        permissions: DEFAULT_EVERYONE_PERMISSIONS,
        position: 0,
        color: 0,
        hoist: false,
        mentionable: false,
        managed: false,
      });
      const botRole = world.addRole(
        id,
        { name: botUser.username, permissions: input.botPermissions ?? DEFAULT_BOT_PERMISSIONS },
        { managed: true, botId: botUser.id },
      );
      guild.botRoleId = botRole.id;
      for (const r of input.roles ?? []) world.addRole(id, r);
      world.addMember(id, owner);
      world.addMember(id, botUser, [botRole.id]);
      const channels = input.channels ?? ['general'];
      for (const c of channels) world.addChannel(id, typeof c === 'string' ? { name: c } : c);
      world.dispatch(id, 'GUILD_CREATE', world.guildCreateJson(guild));
      return toHandle(guild);
    },
    guild(guildId: string): GuildHandle {
      return toHandle(world.guild(guildId));
    },
    addChannel(guildId: string, input: ChannelInput): ChannelRecord {
      const channel = world.addChannel(guildId, input);
      world.dispatch(guildId, 'CHANNEL_CREATE', world.channelJson(channel));
      return channel;
    },
    updateChannel(channelId: string, patch: { name?: string; topic?: string; botCanSend?: boolean }): ChannelRecord {
      const channel = world.channel(channelId);
      if (patch.name !== undefined) channel.name = patch.name;
      if (patch.topic !== undefined) channel.topic = patch.topic;
      if (patch.botCanSend !== undefined) world.setBotCanSend(channel, patch.botCanSend);
      world.dispatch(channel.guildId, 'CHANNEL_UPDATE', world.channelJson(channel));
      return channel;
    },
    deleteChannel(channelId: string): void {
      const channel = world.channel(channelId);
      world.guild(channel.guildId).channels.delete(channelId);
      world.channelIndex.delete(channelId);
      world.dispatch(channel.guildId, 'CHANNEL_DELETE', world.channelJson(channel));
    },
    addRole(guildId: string, input: RoleInput): RoleRecord {
      const role = world.addRole(guildId, input);
      world.dispatch(guildId, 'GUILD_ROLE_CREATE', { guild_id: guildId, role: world.roleJson(role) });
      return role;
    },
    updateRole(guildId: string, roleId: string, patch: Partial<RoleInput>): RoleRecord {
      const role = world.guild(guildId).roles.get(roleId);
      if (!role) throw new Error(`discord double: no role ${roleId}`);
      if (patch.name !== undefined) role.name = patch.name;
      if (patch.permissions !== undefined) role.permissions = toPermissionBits(patch.permissions);
      if (patch.mentionable !== undefined) role.mentionable = patch.mentionable;
      if (patch.color !== undefined) role.color = patch.color;
      world.dispatch(guildId, 'GUILD_ROLE_UPDATE', { guild_id: guildId, role: world.roleJson(role) });
      return role;
    },
    deleteRole(guildId: string, roleId: string): void {
      const guild = world.guild(guildId);
      guild.roles.delete(roleId);
      for (const m of guild.members.values()) m.roles = m.roles.filter((r) => r !== roleId);
      world.dispatch(guildId, 'GUILD_ROLE_DELETE', { guild_id: guildId, role_id: roleId });
    },
    addMember(
      guildId: string,
      input: { username: string; roles?: string[]; permissions?: PermissionInput },
    ): MemberRecord {
      const user = world.createUser(input.username);
      const roles = [...(input.roles ?? [])];
      if (input.permissions !== undefined) {
        const role = world.addRole(guildId, { name: `${input.username}-perms`, permissions: input.permissions });
        world.dispatch(guildId, 'GUILD_ROLE_CREATE', { guild_id: guildId, role: world.roleJson(role) });
        roles.push(role.id);
      }
      const member = world.addMember(guildId, user, roles);
      world.dispatch(guildId, 'GUILD_MEMBER_ADD', { ...world.memberJson(member), guild_id: guildId });
      return member;
    },
    setMemberRoles(guildId: string, userId: string, roles: string[]): MemberRecord {
      const member = world.member(guildId, userId);
      member.roles = [...roles];
      world.dispatch(guildId, 'GUILD_MEMBER_UPDATE', { ...world.memberJson(member), guild_id: guildId });
      return member;
    },
    permissionsOf(guildId: string, userId: string, channelId?: string): bigint {
      return world.permissionsOf(guildId, userId, channelId);
    },
    kickBot(guildId: string): void {
      removeBot(guildId);
    },
  };
}
