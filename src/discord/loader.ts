/**
 * Loads every command module from a folder (the discord.js guide's loader), rejecting a malformed module at start with a
 * message that names the file and what is wrong, instead of failing on the first interaction.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandModule } from './command.ts';

export class CommandLoadError extends Error {
  override name = 'CommandLoadError';
}

const COMMAND_NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

export function validateCommandModule(file: string, candidate: unknown): CommandModule {
  const fail = (what: string): never => {
    throw new CommandLoadError(`command module ${file} ${what}`);
  };
  if (typeof candidate !== 'object' || candidate === null) fail('exports nothing usable');
  const mod = candidate as Partial<CommandModule>;
  if (typeof mod.data !== 'object' || mod.data === null || typeof mod.data.toJSON !== 'function') {
    fail('must export `data`, a SlashCommandBuilder');
  }
  if (typeof mod.execute !== 'function') fail('must export an `execute(interaction, ctx)` function');
  const json = mod.data!.toJSON();
  if (typeof json.name !== 'string' || !COMMAND_NAME.test(json.name) || json.name !== json.name.toLowerCase()) {
    fail(`has an invalid command name ${JSON.stringify(json.name)} (1-32 lower-case letters, digits, - or _)`);
  }
  if (typeof json.description !== 'string' || json.description.length < 1 || json.description.length > 100) {
    fail('needs a description of 1-100 characters');
  }
  if (mod.deferEphemeral !== undefined && typeof mod.deferEphemeral !== 'boolean') {
    fail('exports a non-boolean `deferEphemeral`');
  }
  if (mod.autocomplete !== undefined && typeof mod.autocomplete !== 'function')
    fail('exports a non-function `autocomplete`');
  if ((mod.componentPrefix === undefined) !== (mod.handleComponent === undefined)) {
    fail('must export both `componentPrefix` and `handleComponent`, or neither');
  }
  return mod as CommandModule;
}

/** Loads `*.js` / `*.ts` modules (not declarations or tests) from `dir`, sorted by file name. */
export async function loadCommands(dir: string): Promise<Map<string, CommandModule>> {
  const files = (await readdir(dir))
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !/\.test\.(js|ts)$/.test(f))
    .sort();
  const commands = new Map<string, CommandModule>();
  const prefixes = new Map<string, string>();
  for (const file of files) {
    const mod = validateCommandModule(file, await import(pathToFileURL(path.join(dir, file)).href));
    const name = mod.data.name;
    if (commands.has(name)) throw new CommandLoadError(`command module ${file} defines /${name} a second time`);
    if (mod.componentPrefix) {
      const owner = prefixes.get(mod.componentPrefix);
      if (owner)
        throw new CommandLoadError(
          `command module ${file} claims component prefix "${mod.componentPrefix}" of ${owner}`,
        );
      prefixes.set(mod.componentPrefix, file);
    }
    commands.set(name, mod);
  }
  if (commands.size === 0) throw new CommandLoadError(`no command modules found in ${dir}`);
  return commands;
}

/** The bot's own `commands/` folder, next to `src/` both in the source tree and in `dist/`. */
export function defaultCommandsDir(): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'commands');
}
