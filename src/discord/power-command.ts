/** /start, /stop, /restart and /kill share one shape: resolve, check, send `set state`, follow the status events. */
import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { PowerAction } from '../wings/protocol.ts';
import type { CommandContext, CommandModule } from './command.ts';
import { addServerOption, memberFacts } from './options.ts';
import { assertModeratorAudited, auditBase, runPowerFlow } from './power-flow.ts';

export function powerCommand(action: PowerAction, description: string): Pick<CommandModule, 'data' | 'execute'> {
  const data = addServerOption(
    new SlashCommandBuilder()
      .setName(action)
      .setDescription(description)
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .setContexts(InteractionContextType.Guild),
  );
  return {
    data,
    async execute(interaction, ctx: CommandContext) {
      const live = await ctx.services.bridge.resolve(interaction.guildId, interaction.options.getString('server'));
      const actor = { id: interaction.user.id, name: interaction.member.displayName, source: 'command' } as const;
      // A refused attempt is part of the audit trail too.
      await assertModeratorAudited(ctx, live, memberFacts(interaction), auditBase(actor, action));
      await ctx.respond.defer(true);
      await runPowerFlow(live, action, actor, ctx, (text) => ctx.respond.send(text));
    },
  };
}
