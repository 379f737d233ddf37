import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { checkConsoleCommand, MAX_COMMAND_LENGTH, runConsoleCommand } from '../src/bridge/console-command.ts';
import type { CommandContext } from '../src/discord/command.ts';
import { renderConsoleExcerpt } from '../src/discord/console-excerpt.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, memberFacts } from '../src/discord/options.ts';
import { assertModeratorAudited, auditBase, auditOutcomeOf } from '../src/discord/power-flow.ts';

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
  const bridge = ctx.services.bridge;
  const live = await bridge.resolve(interaction.guildId, interaction.options.getString('server'));
  const input = interaction.options.getString('command', true);
  const actor = { id: interaction.user.id, name: interaction.member.displayName, source: 'command' as const };
  const base = auditBase(actor, 'command', input.trim());
  await assertModeratorAudited(ctx, live, memberFacts(interaction), base);
  const windowMs = ctx.services.config.CMD_OUTPUT_WINDOW_MS;
  let result: Awaited<ReturnType<typeof runConsoleCommand>>;
  try {
    // The policy answers before anything else: a refused command is refused even while the server is unreachable.
    checkConsoleCommand(live, input);
    // Acknowledge Discord in parallel: the command must not wait for Discord's round trip (bench: cmd-roundtrip).
    // The responder queues every later reply behind this defer, and its failure surfaces on the first reply.
    void ctx.respond.defer(true).catch(() => undefined);
    await bridge.ensureConnected(live);
    result = await runConsoleCommand(live, input, {
      windowMs,
      onSent: (sent) =>
        bridge.recordAction(live, {
          actorId: actor.id,
          actorName: actor.name,
          action: 'command',
          command: sent,
          source: 'command',
        }),
    });
  } catch (error) {
    await bridge.audit(live, { ...base, ...auditOutcomeOf(error) });
    throw error;
  }
  await bridge.audit(live, { ...base, command: result.command, result: 'sent' });
  const { command, output } = result;
  // Inside a code span Discord shows text as typed (no markdown, no mentions): only backticks could break out of it.
  const shown = command.length > 200 ? `${command.slice(0, 199)}…` : command;
  const head = `Sent \`${shown.replace(/`/g, "'")}\` to **${inert(live.binding.name, 100)}**.`;
  if (output.length === 0) {
    await ctx.respond.send(`${head} Nothing came back within ${(windowMs / 1000).toFixed(1)} s.`);
    return;
  }
  await ctx.respond.send(
    `${head}\n${renderConsoleExcerpt(output, 2000 - head.length - 1, ctx.services.config.FEED_ANSI)}`,
  );
}
