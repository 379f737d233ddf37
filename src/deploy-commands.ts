/**
 * `npm run deploy-commands`: register the slash commands now — to DISCORD_GUILD_ID when set (instant), else globally.
 */
import 'dotenv/config';
import { REST } from 'discord.js';
import { ConfigError, loadConfig } from './config.ts';
import { COMMANDS_HASH_KEY, definitionsHash, registerCommands } from './discord/deploy.ts';
import { defaultCommandsDir, loadCommands } from './discord/loader.ts';
import { createLogger } from './log.ts';
import { openStore } from './store/index.ts';

try {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL });
  const commands = await loadCommands(defaultCommandsDir());
  const rest = new REST({ api: config.DISCORD_API_BASE }).setToken(config.DISCORD_TOKEN);
  const app = (await rest.get('/applications/@me')) as { id: string };
  const target = { applicationId: app.id, guildId: config.DISCORD_GUILD_ID };
  const count = await registerCommands(rest, commands, target);
  const store = await openStore({ url: config.STORE_URL, encryptionKey: config.ENCRYPTION_KEY, logger });
  await store.settings.set(COMMANDS_HASH_KEY, definitionsHash(commands, target));
  await store.close();
  process.stdout.write(
    `Registered ${count} commands ${config.DISCORD_GUILD_ID ? `to guild ${config.DISCORD_GUILD_ID}` : 'globally (may take a while to appear)'}.\n`,
  );
} catch (error) {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`deploy-commands failed: ${message}\n`);
  process.exit(1);
}
