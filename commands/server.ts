import {
  type AutocompleteInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import { describeBindings } from '../src/discord/binding-list.ts';
import { addBinding } from '../src/discord/binding-setup.ts';
import type { CommandContext } from '../src/discord/command.ts';
import { UserError } from '../src/discord/errors.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, memberFacts } from '../src/discord/options.ts';
import { canManageBindings } from '../src/discord/permissions.ts';
import { handlePolicy, handleRedact, policyGroup, redactGroup } from '../src/discord/policy-admin.ts';

export const data = new SlashCommandBuilder()
  .setName('server')
  .setDescription('Bind, unbind and list the game servers of this Discord server')
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) =>
    s
      .setName('add')
      .setDescription('Bind a panel server to this Discord server')
      .addStringOption((o) =>
        o.setName('name').setDescription('A short name for it here, e.g. Survival').setRequired(true).setMaxLength(32),
      )
      .addStringOption((o) =>
        o
          .setName('panel_url')
          .setDescription('The panel address, e.g. https://panel.example.com')
          .setRequired(true)
          .setMaxLength(200),
      )
      .addStringOption((o) =>
        o
          .setName('server_id')
          .setDescription('The 8-character id from the panel address (…/server/1a2b3c4d)')
          .setRequired(true)
          .setMaxLength(36),
      )
      .addStringOption((o) =>
        o
          .setName('api_key')
          .setDescription('A client API key (ptlc_…) from Account → API Credentials; stored encrypted')
          .setRequired(true)
          .setMaxLength(100),
      )
      .addChannelOption((o) =>
        o
          .setName('console_channel')
          .setDescription('Where the console is mirrored (default: this channel)')
          .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
      )
      .addRoleOption((o) =>
        o.setName('moderator_role').setDescription('Members with this role may use power commands, /cmd and the panel'),
      )
      .addRoleOption((o) =>
        o.setName('alert_role').setDescription('Pinged (and only this role) when the server crashes'),
      ),
  )
  .addSubcommand((s) =>
    addServerOption(s.setName('remove').setDescription('Unbind a server (its console feed stops)'), true),
  )
  .addSubcommand((s) => s.setName('list').setDescription('List the bound servers and their connection state'))
  .addSubcommandGroup(policyGroup)
  .addSubcommandGroup(redactGroup);

export async function autocomplete(
  interaction: AutocompleteInteraction<'cached'>,
  ctx: Omit<CommandContext, 'respond'>,
): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (
    focused.name !== 'server' ||
    !canManageBindings({ permissions: interaction.memberPermissions.bitfield, roleIds: [] })
  ) {
    await interaction.respond([]);
    return;
  }
  await interaction.respond(await ctx.services.bridge.autocomplete(interaction.guildId, String(focused.value)));
}

export async function execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  if (!canManageBindings(memberFacts(interaction))) {
    throw new UserError('Only members with the Manage Server or Administrator permission can manage bound servers.');
  }
  const sub = interaction.options.getSubcommand(true);
  const group = interaction.options.getSubcommandGroup(false);
  if (group === 'policy') return handlePolicy(interaction, ctx, sub);
  if (group === 'redact') return handleRedact(interaction, ctx, sub);
  const bridge = ctx.services.bridge;
  if (sub === 'list') {
    await ctx.respond.send({ embeds: [await describeBindings(bridge, interaction.guildId)] });
    return;
  }
  if (sub === 'remove') {
    const removed = await bridge.remove(interaction.guildId, interaction.options.getString('server', true));
    await ctx.respond.send(
      `Unbound **${inert(removed, 64)}**; its console feed has stopped and its API key is deleted.`,
    );
    return;
  }
  await ctx.respond.defer(true);
  const channel = interaction.options.getChannel('console_channel') ?? interaction.channel;
  if (!channel) throw new UserError('Choose a console channel with the console_channel option.');
  const me = interaction.guild.members.me;
  const result = await addBinding(bridge, ctx.services.config, {
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    name: interaction.options.getString('name', true),
    panelUrl: interaction.options.getString('panel_url', true),
    serverId: interaction.options.getString('server_id', true),
    apiKey: interaction.options.getString('api_key', true),
    consoleChannel: channel,
    botMemberPermissionsIn: (c) => (me ? c.permissionsFor(me)?.bitfield : undefined),
    moderatorRoleId: interaction.options.getRole('moderator_role')?.id,
    alertRoleId: interaction.options.getRole('alert_role')?.id,
  });
  const { binding } = result;
  const perms = result.permissions.includes('*')
    ? 'all (server owner)'
    : inert(result.permissions.join(', '), 500) || 'none';
  const lines = [
    `Bound **${inert(binding.name, 64)}** → “${inert(result.serverName, 100)}” (\`${binding.serverId}\`) on node ${inert(result.node, 64)} at ${new URL(binding.panelUrl).host}.`,
    `Console feed: <#${binding.consoleChannelId}>.${binding.moderatorRoleId ? ` Moderators: <@&${binding.moderatorRoleId}>.` : ''}`,
    `Key permissions: ${perms}.`,
    ...result.warnings.map((w) => `⚠️ ${w}.`),
  ];
  await ctx.respond.send(lines.join('\n'));
}
