/**
 * Command registration. The definitions are hashed together with where they go (application, guild or global); the
 * bot re-registers at start only when that hash differs from the one kept in the store, so restarts cost no API calls.
 */
import { createHash } from 'node:crypto';
import { type REST, Routes } from 'discord.js';
import type { Logger } from '../log.ts';
import type { CommandModule } from './command.ts';

export const COMMANDS_HASH_KEY = 'commandsHash';

export function commandDefinitions(commands: Map<string, CommandModule>) {
  return [...commands.values()].map((c) => c.data.toJSON()).sort((a, b) => a.name.localeCompare(b.name));
}

export function definitionsHash(
  commands: Map<string, CommandModule>,
  target: { applicationId: string; guildId?: string | undefined },
): string {
  const body = JSON.stringify({ target, commands: commandDefinitions(commands) });
  return createHash('sha256').update(body).digest('hex');
}

export async function registerCommands(
  rest: REST,
  commands: Map<string, CommandModule>,
  target: { applicationId: string; guildId?: string | undefined },
): Promise<number> {
  const body = commandDefinitions(commands);
  const route = target.guildId
    ? Routes.applicationGuildCommands(target.applicationId, target.guildId)
    : Routes.applicationCommands(target.applicationId);
  const result = (await rest.put(route, { body })) as unknown[];
  return result.length;
}

/** Registers when the definitions changed since the last registration recorded in `settings`. */
export async function registerIfChanged(options: {
  rest: REST;
  commands: Map<string, CommandModule>;
  target: { applicationId: string; guildId?: string | undefined };
  settings: { get<T>(key: string): Promise<T | undefined>; set<T>(key: string, value: T): Promise<void> };
  logger: Logger;
}): Promise<boolean> {
  const hash = definitionsHash(options.commands, options.target);
  const previous = await options.settings.get<string>(COMMANDS_HASH_KEY);
  if (previous === hash) {
    options.logger.debug('slash commands unchanged since the last registration');
    return false;
  }
  const count = await registerCommands(options.rest, options.commands, options.target);
  await options.settings.set(COMMANDS_HASH_KEY, hash);
  options.logger.info(
    { count, scope: options.target.guildId ? `guild ${options.target.guildId}` : 'global' },
    'slash commands registered',
  );
  return true;
}
