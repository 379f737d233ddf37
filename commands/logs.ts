import {
  AttachmentBuilder,
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { CommandContext } from '../src/discord/command.ts';
import { consoleExcerpt } from '../src/discord/console-excerpt.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, resolveForModerator } from '../src/discord/options.ts';
import { toPlainText } from '../src/feed/escape.ts';

/** Wings replays at most its `websocket_log_count` (150 by default) lines. */
const MAX_LINES = 150;

export const data = addServerOption(
  new SlashCommandBuilder()
    .setName('logs')
    .setDescription("Show the game server's recent console lines")
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addIntegerOption((o) =>
      o
        .setName('lines')
        .setDescription(`How many lines (1-${MAX_LINES}, default 50)`)
        .setMinValue(1)
        .setMaxValue(MAX_LINES),
    ),
);

export { autocomplete } from '../src/discord/server-autocomplete.ts';

export async function execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const live = await resolveForModerator(interaction, ctx);
  await ctx.respond.defer(true);
  await ctx.services.bridge.ensureConnected(live);
  const wanted = interaction.options.getInteger('lines') ?? 50;
  const all = await ctx.services.bridge.recentLogs(live);
  const lines = all.slice(-wanted);
  const name = inert(live.binding.name, 64);
  if (lines.length === 0) {
    await ctx.respond.send(`Wings sent no log lines for **${name}**.`);
    return;
  }
  const head = `Last ${lines.length} console line${lines.length === 1 ? '' : 's'} of **${name}**:`;
  const inline = consoleExcerpt(lines, 2000 - head.length - 1, ctx.services.config.FEED_ANSI);
  if (inline.complete) {
    await ctx.respond.send(`${head}\n${inline.text}`);
    return;
  }
  const file = new AttachmentBuilder(Buffer.from(`${lines.map(toPlainText).join('\n')}\n`, 'utf8'), {
    name: `${live.binding.serverId}-console.log`,
  });
  // The newest lines as a whole block of their own (a cut through a block would leave it unclosed).
  const attachedHead = `${head} (attached; the newest shown here)`;
  const newest = consoleExcerpt(lines, Math.min(1400, 2000 - attachedHead.length - 1), ctx.services.config.FEED_ANSI);
  await ctx.respond.send({ content: `${attachedHead}\n${newest.text}`, files: [file] });
}
