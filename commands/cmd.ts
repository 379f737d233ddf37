import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { MAX_COMMAND_LENGTH, runConsoleCommand } from '../src/bridge/console-command.ts';
import type { CommandContext } from '../src/discord/command.ts';
import { renderConsoleExcerpt } from '../src/discord/console-excerpt.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, resolveForModerator } from '../src/discord/options.ts';

export const data = addServerOption(
  new SlashCommandBuilder()
    .setName('cmd')
    .setDescription('Send a command to the game server console')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o
        .setName('command')
        .setDescription('The console command, e.g. say Hello')
        .setRequired(true)
        .setMaxLength(MAX_COMMAND_LENGTH),
    ),
);

export { autocomplete } from '../src/discord/server-autocomplete.ts';

export async function execute(
  interaction: import('discord.js').ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const live = await resolveForModerator(interaction, ctx);
  await ctx.respond.defer(true);
  await ctx.services.bridge.ensureConnected(live);
  const input = interaction.options.getString('command', true);
  const windowMs = ctx.services.config.CMD_OUTPUT_WINDOW_MS;
  const { command, output } = await runConsoleCommand(live, input, {
    windowMs,
    onSent: (sent) =>
      ctx.services.bridge.recordAction(live, {
        actorId: interaction.user.id,
        actorName: interaction.member.displayName,
        action: 'command',
        command: sent,
        source: 'command',
      }),
  });
  const head = `Sent \`${inert(command, 200).replace(/`/g, "'")}\` to **${inert(live.binding.name, 100)}**.`;
  if (output.length === 0) {
    await ctx.respond.send(`${head} Nothing came back within ${(windowMs / 1000).toFixed(1)} s.`);
    return;
  }
  await ctx.respond.send(
    `${head}\n${renderConsoleExcerpt(output, 2000 - head.length - 1, ctx.services.config.FEED_ANSI)}`,
  );
}
