// Building INTERACTION_CREATE payloads the way Discord does: slash commands (typed from the registered command),
// autocomplete, button clicks and select menus, with member/channel permissions and resolved objects.
import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { CommandStore } from './commands.ts';
import type { MemberRecord, StoredMessage, World } from './model.ts';

export type OptionValue = string | number | boolean;

export interface BaseInvoke {
  guildId: string;
  channelId: string;
  /** The invoking member, or its user id. */
  member: MemberRecord | string;
  locale?: string;
}

export interface InvokeCommandInput extends BaseInvoke {
  name: string;
  options?: Record<string, OptionValue>;
  subcommand?: string;
  subcommandGroup?: string;
  /** Deliver even if the member lacks the command's default_member_permissions (as a guild override would allow). */
  bypassPermissions?: boolean;
}

export interface AutocompleteInput extends InvokeCommandInput {
  /** Name of the option being typed in; its value is sent as the partial string. */
  focused: string;
}

type Option = Record<string, unknown> & { name: string; type: number };

function memberOf(world: World, i: BaseInvoke): MemberRecord {
  return typeof i.member === 'string' ? world.member(i.guildId, i.member) : world.member(i.guildId, i.member.user.id);
}

export function baseInteraction(
  world: World,
  applicationId: string,
  i: BaseInvoke,
  id: string,
  token: string,
  type: number,
) {
  const member = memberOf(world, i);
  const channel = world.channel(i.channelId);
  if (channel.guildId !== i.guildId)
    throw new Error(`discord double: channel ${i.channelId} is not in guild ${i.guildId}`);
  const perms = world.permissionsOf(i.guildId, member.user.id, channel.id);
  return {
    member,
    perms,
    payload: {
      id,
      application_id: applicationId,
      type,
      token,
      version: 1,
      guild_id: i.guildId,
      guild: { id: i.guildId, locale: 'en-US', features: [] },
      channel_id: channel.id,
      channel: { ...world.channelJson(channel), permissions: perms.toString() },
      member: { ...world.memberJson(member), permissions: perms.toString() },
      app_permissions: world.botPermissions(i.guildId, channel.id).toString(),
      locale: i.locale ?? 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': i.guildId },
      context: 0,
      attachment_size_limit: 10 * 1024 * 1024,
    } as Record<string, unknown>,
  };
}

function coerce(def: Option, value: OptionValue, partial: boolean): OptionValue {
  if (partial) return String(value);
  const bad = () =>
    new Error(`discord double: option ${def.name} (type ${def.type}) cannot take ${JSON.stringify(value)}`);
  switch (def.type) {
    case 3:
      if (typeof value !== 'string') throw bad();
      break;
    case 4:
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad();
      break;
    case 10:
      if (typeof value !== 'number') throw bad();
      break;
    case 5:
      if (typeof value !== 'boolean') throw bad();
      break;
    default:
      if (typeof value !== 'string' || !/^\d{15,21}$/.test(value)) throw bad();
  }
  const choices = def.choices as { value: unknown }[] | undefined;
  if (choices && choices.length > 0 && !choices.some((c) => c.value === value)) {
    throw new Error(`discord double: ${JSON.stringify(value)} is not one of the choices of option ${def.name}`);
  }
  return value;
}

/** Builds `data` for a chat-input command or autocomplete from the registered definition. */
export function commandData(world: World, commands: CommandStore, input: InvokeCommandInput, focused?: string) {
  const command = commands.find(input.guildId, input.name);
  if (!command)
    throw new Error(`discord double: /${input.name} is not registered (globally or in guild ${input.guildId})`);
  let defs = (command.options ?? []) as Option[];
  const wrap: Option[] = [];
  if (input.subcommandGroup) {
    const group = defs.find((o) => o.type === 2 && o.name === input.subcommandGroup);
    if (!group) throw new Error(`discord double: /${input.name} has no subcommand group ${input.subcommandGroup}`);
    wrap.push(group);
    defs = (group.options ?? []) as Option[];
  }
  if (input.subcommand) {
    const sub = defs.find((o) => o.type === 1 && o.name === input.subcommand);
    if (!sub) throw new Error(`discord double: /${input.name} has no subcommand ${input.subcommand}`);
    wrap.push(sub);
    defs = (sub.options ?? []) as Option[];
  }
  const given = input.options ?? {};
  const resolved: Record<string, Record<string, unknown>> = {};
  const add = (kind: string, id: string, value: unknown) => {
    resolved[kind] ??= {};
    (resolved[kind] as Record<string, unknown>)[id] = value;
  };
  const options: Record<string, unknown>[] = [];
  for (const [name, value] of Object.entries(given)) {
    const def = defs.find((o) => o.name === name);
    if (!def) throw new Error(`discord double: /${input.name} has no option ${name}`);
    const isFocused = name === focused;
    if (isFocused && def.autocomplete !== true) throw new Error(`discord double: option ${name} has no autocomplete`);
    const v = coerce(def, value, isFocused);
    options.push({ name, type: def.type, value: v, ...(isFocused ? { focused: true } : {}) });
    if (isFocused) continue;
    const id = String(v);
    const user = [6, 9].includes(def.type) ? world.users.get(id) : undefined;
    const role = [8, 9].includes(def.type) ? world.guild(input.guildId).roles.get(id) : undefined;
    if (user) {
      add('users', id, world.userJson(user));
      const m = world.guild(input.guildId).members.get(id);
      if (m)
        add('members', id, {
          ...world.memberJson(m, false),
          permissions: world.permissionsOf(input.guildId, id, input.channelId).toString(),
        });
    } else if (role) {
      add('roles', id, world.roleJson(role));
    } else if (def.type === 7) {
      const ch = world.channelIndex.get(id);
      if (!ch) throw new Error(`discord double: no channel ${id}`);
      add('channels', id, {
        id,
        name: ch.name,
        type: ch.type,
        parent_id: ch.parentId,
        permissions: world.botPermissions(ch.guildId, id).toString(),
      });
    } else if ([6, 8, 9].includes(def.type)) {
      throw new Error(`discord double: option ${name}: no user/role ${id}`);
    }
  }
  if (focused !== undefined && !options.some((o) => o.focused))
    throw new Error(`discord double: focused option ${focused} not given`);
  for (const def of defs) {
    if (def.required === true && !(def.name in given) && focused === undefined) {
      throw new Error(`discord double: required option ${def.name} of /${input.name} missing`);
    }
  }
  let nested: Record<string, unknown>[] = options;
  for (const w of wrap.reverse()) nested = [{ name: w.name, type: w.type, options: nested }];
  return {
    command,
    data: {
      id: command.id,
      name: command.name,
      type: 1,
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
      ...(nested.length > 0 ? { options: nested } : {}),
      ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    },
  };
}

/** Whether Discord would show the command to this member (default_member_permissions; Administrator sees all). */
export function canSeeCommand(perms: bigint, defaultMemberPermissions: unknown): boolean {
  if ((perms & PermissionFlagsBits.Administrator) !== 0n) return true;
  if (defaultMemberPermissions === null || defaultMemberPermissions === undefined) return true;
  const needed = BigInt(defaultMemberPermissions as string);
  if (needed === 0n) return false;
  return (perms & needed) === needed;
}

/** Finds a component with `customId` anywhere in a message's component tree. */
export function findComponent(message: StoredMessage, customId: string): Record<string, unknown> | undefined {
  const walk = (list: unknown): Record<string, unknown> | undefined => {
    if (!Array.isArray(list)) return undefined;
    for (const c of list as Record<string, unknown>[]) {
      if (c.custom_id === customId) return c;
      const inner = walk(c.components) ?? (c.accessory ? walk([c.accessory]) : undefined);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(message.components);
}
