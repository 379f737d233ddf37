import {
  type ChatInputCommandInteraction,
  EmbedBuilder,
  InteractionContextType,
  SlashCommandBuilder,
} from 'discord.js';
import type { CommandContext } from '../src/discord/command.ts';
import { formatBytes, formatCpu, formatDuration, formatMemory, inert, stateLabel } from '../src/discord/format.ts';
import { addServerOption } from '../src/discord/options.ts';

/** Open to every member: it only reads. */
export const data = addServerOption(
  new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Show the game server state and resource use')
    .setContexts(InteractionContextType.Guild),
);

export { autocomplete } from '../src/discord/server-autocomplete.ts';
export const deferEphemeral = false; // public answer: a slow start must not make it private

export async function execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const bridge = ctx.services.bridge;
  const live = await bridge.resolve(interaction.guildId, interaction.options.getString('server'));
  // Open to everyone, so it never makes the bot reconnect a stopped socket; stats and limits come from what the bot
  // already holds where it can (see Bridge.freshStats and serverLimits). Checked before deferring, so a stopped socket
  // is answered at once and privately rather than through a public "thinking…" message.
  await bridge.ensureConnected(live, { restartStopped: false });
  await ctx.respond.defer(false);
  const [stats, limits] = await Promise.all([bridge.freshStats(live), bridge.serverLimits(live)]);
  const embed = new EmbedBuilder()
    .setTitle(inert(live.binding.name, 200))
    .setColor(stats.state === 'running' ? 0x2ecc71 : stats.state === 'offline' ? 0x95a5a6 : 0xf1c40f)
    .addFields(
      { name: 'State', value: stateLabel(stats.state), inline: true },
      { name: 'Uptime', value: formatDuration(stats.uptimeMs), inline: true },
      { name: 'CPU', value: formatCpu(stats.cpuAbsolute, limits?.cpu), inline: false },
      { name: 'Memory', value: formatMemory(stats.memoryBytes, stats.memoryLimitBytes), inline: true },
      {
        name: 'Disk',
        value: limits?.disk
          ? `${formatBytes(stats.diskBytes)} / ${formatBytes(limits.disk * 1024 * 1024)}`
          : formatBytes(stats.diskBytes),
        inline: true,
      },
      {
        name: 'Network',
        value: `↓ ${formatBytes(stats.networkRxBytes)} · ↑ ${formatBytes(stats.networkTxBytes)}`,
        inline: true,
      },
    )
    .setTimestamp(new Date());
  await ctx.respond.send({ embeds: [embed] });
}
