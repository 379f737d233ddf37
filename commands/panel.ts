import {
  ButtonStyle,
  type ChatInputCommandInteraction,
  ComponentType,
  InteractionContextType,
  type MessageComponentInteraction,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { LiveBinding } from '../src/bridge/bridge.ts';
import type { CommandContext } from '../src/discord/command.ts';
import { UserError } from '../src/discord/errors.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, memberFacts, resolveForModerator } from '../src/discord/options.ts';
import { PANEL_PREFIX, panelCustomId, parsePanelCustomId } from '../src/discord/panel-view.ts';
import { assertModeratorAudited, auditBase, runPowerFlow } from '../src/discord/power-flow.ts';

export const data = addServerOption(
  new SlashCommandBuilder()
    .setName('panel')
    .setDescription('Post a live control panel with power buttons in this channel')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
);

export { autocomplete } from '../src/discord/server-autocomplete.ts';

export async function execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const live = await resolveForModerator(interaction, ctx);
  await ctx.respond.defer(true);
  const posted = await ctx.services.panels.post(live, interaction.channelId);
  if (!posted.ok) throw new UserError(`The panel could not be posted here: ${posted.reason}.`);
  await ctx.respond.send(
    `Posted the control panel for **${inert(live.binding.name, 64)}**. It stays current; anyone can see it, only moderators can use its buttons.`,
  );
}

export const componentPrefix = PANEL_PREFIX;

const VERB = { start: 'Start', stop: 'Stop', restart: 'Restart', kill: 'Kill' } as const;
const WARNING = {
  start: '',
  stop: 'Players will be disconnected.',
  restart: 'Players will be disconnected while it restarts.',
  kill: 'The process ends at once: unsaved progress is lost.',
} as const;

async function bindingOfButton(interaction: MessageComponentInteraction<'cached'>, ctx: CommandContext, id: string) {
  try {
    return await ctx.services.bridge.resolve(interaction.guildId, id);
  } catch (error) {
    // A forged or stale id (another guild's binding, a removed one) never reaches Wings.
    if (error instanceof UserError)
      throw new UserError("This panel's server is not bound in this Discord server (any more).");
    throw error;
  }
}

export async function handleComponent(
  interaction: MessageComponentInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const parsed = parsePanelCustomId(interaction.customId);
  if (!parsed || !interaction.isButton()) throw new UserError('This button is not one the bot knows.');
  const live: LiveBinding = await bindingOfButton(interaction, ctx, parsed.bindingId);
  const { action, step } = parsed;
  // Discord does not gate buttons: every click is checked, and a refused one is audited.
  const actor = { id: interaction.user.id, name: interaction.member.displayName, source: 'button' } as const;
  await assertModeratorAudited(ctx, live, memberFacts(interaction), auditBase(actor, action));
  const name = inert(live.binding.name, 64);

  if (step === 'cancel') {
    await ctx.respond.update({ content: `Cancelled: ${name} was not touched.`, components: [] });
    return;
  }
  if (step === 'ask' && action !== 'start') {
    await ctx.respond.send({
      content: `${VERB[action]} **${name}**? ${WARNING[action]}`,
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: action === 'kill' ? ButtonStyle.Danger : ButtonStyle.Primary,
              label: `Yes, ${action}`,
              custom_id: panelCustomId(live.binding.id, action, 'confirm'),
            },
            {
              type: ComponentType.Button,
              style: ButtonStyle.Secondary,
              label: 'Cancel',
              custom_id: panelCustomId(live.binding.id, action, 'cancel'),
            },
          ],
        },
      ],
    });
    return;
  }
  const show =
    step === 'confirm'
      ? (text: string) => ctx.respond.update({ content: text, components: [] })
      : (text: string) => ctx.respond.send(text);
  if (step === 'confirm') await ctx.respond.update({ content: `**${name}**: sending ${action}…`, components: [] });
  else await ctx.respond.defer(true);
  await runPowerFlow(live, action, actor, ctx, show);
  ctx.services.panels.refresh(live.binding.id);
}
