import {
  type ChatInputCommandInteraction,
  EmbedBuilder,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { CommandContext } from '../src/discord/command.ts';
import { inert } from '../src/discord/format.ts';
import { addServerOption, resolveForModerator } from '../src/discord/options.ts';
import { neutraliseFences } from '../src/feed/escape.ts';
import type { AuditEntry } from '../src/store/index.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Embed descriptions hold 4096 characters; the code fences and the "older entries" note need the rest. */
const DESCRIPTION_BUDGET = 3900;

export const data = addServerOption(
  new SlashCommandBuilder()
    .setName('audit')
    .setDescription('Who ran which power action or console command on a bound server, newest first')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addIntegerOption((o) =>
      o
        .setName('limit')
        .setDescription(`How many entries (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT})`)
        .setMinValue(1)
        .setMaxValue(MAX_LIMIT),
    ),
);

export { autocomplete } from '../src/discord/server-autocomplete.ts';

export async function execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const live = await resolveForModerator(interaction, ctx);
  await ctx.respond.defer(true);
  const limit = interaction.options.getInteger('limit') ?? DEFAULT_LIMIT;
  const entries = await ctx.services.bridge.auditTrail(live, limit);
  const name = inert(live.binding.name, 100);
  const embed = new EmbedBuilder().setTitle(`Audit · ${name}`.slice(0, 256));
  if (entries.length === 0) {
    embed.setDescription('Nothing recorded yet: power actions and /cmd commands appear here.');
  } else {
    embed.setDescription(renderAuditBlock(entries, DESCRIPTION_BUDGET));
    embed.setFooter({ text: 'Newest first · times in UTC · the bot keeps the last 500 entries per server' });
  }
  await ctx.respond.send({ embeds: [embed] });
}

const RESULT: Record<AuditEntry['result'], string> = {
  sent: 'sent',
  refused_policy: 'refused by policy',
  refused_permission: 'refused: no permission',
  failed: 'failed',
};

/** One entry as one line of plain text (it is placed inside a code block). */
export function renderAuditLine(entry: AuditEntry): string {
  const when = entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const what =
    entry.action === 'command'
      ? `/cmd ${entry.command ?? ''}`
      : `${entry.action}${entry.source === 'button' ? ' (panel)' : ''}`;
  let result = RESULT[entry.result];
  if (entry.detail) result += `: ${entry.detail}`;
  if (entry.finalState && entry.action !== 'command') result += ` → ${entry.finalState}`;
  return plain(`${when} · ${entry.actorName} (${entry.actorId}) · ${what} · ${result}`, 300);
}

/** Newest first in one code block that fits `budget` characters; console-ish text cannot close the block or ping. */
export function renderAuditBlock(entries: readonly AuditEntry[], budget: number): string {
  const lines: string[] = [];
  let used = 0;
  for (const entry of entries) {
    const line = renderAuditLine(entry);
    if (used + line.length + 1 > budget - 60) break;
    lines.push(line);
    used += line.length + 1;
  }
  const left = entries.length - lines.length;
  const note = left > 0 ? `\n… ${left} older entr${left === 1 ? 'y' : 'ies'} not shown` : '';
  return `\`\`\`\n${lines.join('\n')}\n\`\`\`${note}`;
}

function plain(text: string, max: number): string {
  const clean = neutraliseFences(text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' '));
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
