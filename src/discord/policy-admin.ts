/**
 * `/server policy …` and `/server redact …`: an admin views and changes a binding's command policy and redaction rules.
 * The caller (commands/server.ts) has already checked Manage Server. Every change is logged with who made it.
 */
import type { ChatInputCommandInteraction, SlashCommandSubcommandGroupBuilder } from 'discord.js';
import type { LiveBinding } from '../bridge/bridge.ts';
import { addPolicyWord, codeSafe, removePolicyWord } from '../policy/command-policy.ts';
import { compileRedaction } from '../policy/redaction.ts';
import { validatePattern } from '../policy/regex-safety.ts';
import {
  type CommandPolicy,
  commandPolicyOf,
  DEFAULT_DENY_WORDS,
  MAX_REDACTION_RULES,
  type RedactionSettings,
  redactionOf,
} from '../policy/types.ts';
import type { CommandContext } from './command.ts';
import { UserError } from './errors.ts';
import { inert } from './format.ts';
import { addServerOption } from './options.ts';

export function policyGroup(g: SlashCommandSubcommandGroupBuilder): SlashCommandSubcommandGroupBuilder {
  return g
    .setName('policy')
    .setDescription('Which console commands /cmd may send to a server')
    .addSubcommand((s) => addServerOption(s.setName('show').setDescription('Show the command policy')))
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('mode')
          .setDescription('Use an allow list (only listed commands) or a deny list (all but listed commands)')
          .addStringOption((o) =>
            o
              .setName('mode')
              .setDescription('allow or deny')
              .setRequired(true)
              .addChoices({ name: 'allow list', value: 'allow' }, { name: 'deny list', value: 'deny' }),
          ),
      ),
    )
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('add')
          .setDescription('Add a command word to the list')
          .addStringOption((o) =>
            o.setName('word').setDescription('The command word, e.g. op').setRequired(true).setMaxLength(64),
          ),
      ),
    )
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('remove')
          .setDescription('Remove a command word from the list')
          .addStringOption((o) =>
            o.setName('word').setDescription('The command word, e.g. op').setRequired(true).setMaxLength(64),
          ),
      ),
    );
}

export function redactGroup(g: SlashCommandSubcommandGroupBuilder): SlashCommandSubcommandGroupBuilder {
  return g
    .setName('redact')
    .setDescription('What is hidden from console lines before they reach Discord')
    .addSubcommand((s) => addServerOption(s.setName('list').setDescription('Show the redaction rules')))
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('add')
          .setDescription('Hide text matching a regular expression (case-sensitive)')
          .addStringOption((o) =>
            o
              .setName('pattern')
              .setDescription('A JavaScript regular expression, e.g. [Pp]assword=\\S+')
              .setRequired(true)
              .setMaxLength(200),
          ),
      ),
    )
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('remove')
          .setDescription('Remove a custom rule')
          .addStringOption((o) =>
            o
              .setName('rule')
              .setDescription('The rule number from /server redact list, or the pattern itself')
              .setRequired(true)
              .setMaxLength(200),
          ),
      ),
    )
    .addSubcommand((s) =>
      addServerOption(
        s
          .setName('ips')
          .setDescription('Hide IPv4/IPv6 addresses (on by default)')
          .addBooleanOption((o) => o.setName('hide').setDescription('true = hide addresses').setRequired(true)),
      ),
    );
}

export async function handlePolicy(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  sub: string,
): Promise<void> {
  const live = await ctx.services.bridge.resolve(interaction.guildId, interaction.options.getString('server'));
  const name = inert(live.binding.name, 64);
  const policy = commandPolicyOf(live.binding);
  if (sub === 'show') {
    await ctx.respond.send(describePolicy(name, policy));
    return;
  }
  let next: CommandPolicy;
  let said: string;
  if (sub === 'mode') {
    const mode = interaction.options.getString('mode', true) === 'allow' ? 'allow' : 'deny';
    if (mode === policy.mode) {
      await ctx.respond.send(`${name} already uses a ${mode} list.\n${describePolicy(name, policy)}`);
      return;
    }
    // A list means the opposite in the other mode, so it is not carried over: an allow list starts empty (nothing
    // passes until words are added), a deny list starts from the default.
    next = mode === 'allow' ? { mode, words: [] } : { mode, words: [...DEFAULT_DENY_WORDS] };
    said =
      mode === 'allow'
        ? `${name} now uses an allow list. It is empty, so /cmd sends nothing until you add commands with /server policy add.`
        : `${name} now uses a deny list, starting with the default (${DEFAULT_DENY_WORDS.join(', ')}).`;
  } else {
    const word = interaction.options.getString('word', true);
    const change = sub === 'add' ? addPolicyWord(policy, word) : removePolicyWord(policy, word);
    if (!change.ok) throw new UserError(change.error);
    const list = `${name}'s ${policy.mode} list`;
    const shown = `\`${codeSafe(change.ok && change.changed ? diffWord(policy, change.policy) : word)}\``;
    if (!change.changed) {
      await ctx.respond.send(sub === 'add' ? `${shown} is already on ${list}.` : `${shown} is not on ${list}.`);
      return;
    }
    next = change.policy;
    said = sub === 'add' ? `Added ${shown} to ${list}.` : `Removed ${shown} from ${list}.`;
  }
  await save(ctx, live, interaction.user.id, { commandPolicy: next });
  await ctx.respond.send(`${said}\n${describePolicy(name, next)}`);
}

export async function handleRedact(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  sub: string,
): Promise<void> {
  const live = await ctx.services.bridge.resolve(interaction.guildId, interaction.options.getString('server'));
  const name = inert(live.binding.name, 64);
  const settings = redactionOf(live.binding);
  if (sub === 'list') {
    await ctx.respond.send(describeRedaction(name, settings));
    return;
  }
  let next: RedactionSettings;
  let said: string;
  if (sub === 'ips') {
    const hide = interaction.options.getBoolean('hide', true);
    next = { ...settings, ips: hide };
    said = hide ? `${name}: IP addresses are hidden.` : `${name}: IP addresses are shown.`;
  } else if (sub === 'add') {
    const pattern = interaction.options.getString('pattern', true);
    if (settings.rules.some((r) => r.pattern === pattern)) {
      await ctx.respond.send(`That pattern is already a rule of ${name}.`);
      return;
    }
    if (settings.rules.length >= MAX_REDACTION_RULES) {
      throw new UserError(
        `${name} already has ${MAX_REDACTION_RULES} custom rules, the most it can have; remove one first.`,
      );
    }
    const check = validatePattern(pattern);
    if (!check.ok) throw new UserError(`That pattern was not added: ${check.error}`);
    const rule = { pattern, addedBy: interaction.user.id, addedAt: new Date().toISOString() };
    next = { ...settings, rules: [...settings.rules, rule] };
    said = `Added rule ${next.rules.length}: matches of \`${codeSafe(pattern, 200)}\` are hidden from now on.`;
  } else {
    const wanted = interaction.options.getString('rule', true).trim();
    const index = /^\d+$/.test(wanted) ? Number(wanted) - 1 : settings.rules.findIndex((r) => r.pattern === wanted);
    const rule = settings.rules[index];
    if (!rule) throw new UserError(`${name} has no custom rule ${codeSafe(wanted)}; see /server redact list.`);
    next = { ...settings, rules: settings.rules.filter((_, i) => i !== index) };
    said = `Removed rule ${index + 1} (\`${codeSafe(rule.pattern, 200)}\`).`;
  }
  await save(ctx, live, interaction.user.id, { redaction: next });
  await ctx.respond.send(`${said}\n${describeRedaction(name, next)}`);
}

async function save(
  ctx: CommandContext,
  live: LiveBinding,
  actorId: string,
  patch: { commandPolicy?: CommandPolicy; redaction?: RedactionSettings },
): Promise<void> {
  await ctx.services.bridge.update(live.binding.guildId, live.binding.id, patch);
  ctx.logger.info({ binding: live.binding.id, actor: actorId, ...patch }, 'binding policy changed');
}

function diffWord(before: CommandPolicy, after: CommandPolicy): string {
  return after.words.find((w) => !before.words.includes(w)) ?? before.words.find((w) => !after.words.includes(w)) ?? '';
}

export function describePolicy(name: string, policy: CommandPolicy): string {
  const words = policy.words.map((w) => `\`${codeSafe(w)}\``).join(', ');
  if (policy.mode === 'allow') {
    return words
      ? `**${name}** uses an **allow list**: /cmd sends only ${words}.`
      : `**${name}** uses an **allow list** that is empty: /cmd sends nothing.`;
  }
  return words
    ? `**${name}** uses a **deny list**: /cmd refuses ${words}.`
    : `**${name}** uses a **deny list** that is empty: /cmd sends any command.`;
}

export function describeRedaction(name: string, settings: RedactionSettings): string {
  const compiled = compileRedaction(settings);
  const broken = new Map(compiled.invalid.map((i) => [i.pattern, i.error]));
  const lines = [
    `**${name}** hides API keys (ptlc_/pacc_/ptla_/papp_) and tokens (JWTs) always; IP addresses: **${settings.ips ? 'hidden' : 'shown'}**.`,
  ];
  if (settings.rules.length === 0) lines.push('No custom rules.');
  settings.rules.forEach((rule, i) => {
    const error = broken.get(rule.pattern);
    lines.push(`${i + 1}. \`${codeSafe(rule.pattern, 200)}\`${error ? ` ⚠️ inactive: ${inert(error, 200)}` : ''}`);
  });
  return lines.join('\n').slice(0, 1900);
}
