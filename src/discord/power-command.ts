/** /start, /stop, /restart and /kill share one shape: resolve, check, send `set state`, follow the status events. */
import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { followPowerAction, renderPowerProgress } from '../bridge/power.ts';
import type { PowerAction } from '../wings/protocol.ts';
import type { CommandContext, CommandModule } from './command.ts';
import { addServerOption, resolveForModerator } from './options.ts';

/** How long a reply keeps following the server (interaction tokens last 15 min). */
const FOLLOW_MS = 5 * 60_000;

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
      await ctx.services.bridge.ensureConnected(live);
      ctx.services.bridge.recordAction(live, { actorId: interaction.user.id,
        actorName: interaction.member.displayName, action, source: 'command' });
      let lastText = '';
      const progress = await followPowerAction(
        live,
        action,
        async (p) => {
          const text = renderPowerProgress(live.binding.name, action, p);
          if (text === lastText) return;
          lastText = text;
          await ctx.respond.send(text);
        },
        { timeoutMs: FOLLOW_MS, signal: ctx.services.shutdownSignal },
      );
      const finalText = renderPowerProgress(live.binding.name, action, progress);
      if (finalText !== lastText) await ctx.respond.send(finalText);
    },
  };
}
