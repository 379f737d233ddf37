/** /start, /stop, /restart and /kill share one shape: resolve, check, send `set state`, follow the status events. */
import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { PowerAction } from '../wings/protocol.ts';
import type { CommandContext, CommandModule } from './command.ts';
import { addServerOption, resolveForModerator } from './options.ts';
import { runPowerFlow } from './power-flow.ts';

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
      const live = await resolveForModerator(interaction, ctx);
      await ctx.respond.defer(true);
      await runPowerFlow(
        live,
        action,
        { id: interaction.user.id, name: interaction.member.displayName, source: 'command' },
        ctx,
        (text) => ctx.respond.send(text),
      );
    },
  };
}
