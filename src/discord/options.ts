/** Option helpers shared by several command modules, so each option is defined once. */
import type { ChatInputCommandInteraction, MessageComponentInteraction, SlashCommandStringOption } from 'discord.js';
import type { LiveBinding } from '../bridge/bridge.ts';
import type { CommandContext } from './command.ts';
import { UserError } from './errors.ts';
import { isModerator, type MemberFacts } from './permissions.ts';

/** The optional `server` option with autocomplete over the guild's bindings. */
export function addServerOption<
  T extends { addStringOption(build: (o: SlashCommandStringOption) => SlashCommandStringOption): unknown },
>(builder: T, required = false): T {
  builder.addStringOption((o) =>
    o
      .setName('server')
      .setDescription(required ? 'The bound server' : 'The bound server (may be left out when only one is bound)')
      .setRequired(required)
      .setAutocomplete(true)
      .setMaxLength(100),
  );
  return builder;
}

export function memberFacts(
  interaction: ChatInputCommandInteraction<'cached'> | MessageComponentInteraction<'cached'>,
): MemberFacts {
  return {
    permissions: interaction.memberPermissions.bitfield,
    roleIds: [...interaction.member.roles.cache.keys()],
  };
}

/** Resolves the `server` option and checks the member may control it (Manage Server, Administrator or moderator role). */
export async function resolveForModerator(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<LiveBinding> {
  const live = await ctx.services.bridge.resolve(interaction.guildId, interaction.options.getString('server'));
  assertModerator(memberFacts(interaction), live);
  return live;
}

export function assertModerator(member: MemberFacts, live: LiveBinding): void {
  if (!isModerator(member, live.binding)) {
    const role = live.binding.moderatorRoleId ? ` or the <@&${live.binding.moderatorRoleId}> role` : '';
    throw new UserError(`Only moderators can do that: it needs the Manage Server permission${role}.`);
  }
}
