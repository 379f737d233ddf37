/** Autocomplete for the `server` option: the guild's bindings whose name contains what was typed. */
import type { AutocompleteInteraction } from 'discord.js';
import type { CommandContext } from './command.ts';

export async function autocomplete(
  interaction: AutocompleteInteraction<'cached'>,
  ctx: Omit<CommandContext, 'respond'>,
): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== 'server') {
    await interaction.respond([]);
    return;
  }
  await interaction.respond(await ctx.services.bridge.autocomplete(interaction.guildId, String(focused.value)));
}
