/**
 * `npm start`: read the configuration, run the bot, stop gracefully on SIGINT/SIGTERM.
 */
import 'dotenv/config';
import { createBot } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';

const HOW_TO_GET_A_TOKEN = `DISCORD_TOKEN is not set. To get one:
  1. Open https://discord.com/developers/applications and create an application (or pick yours).
  2. Bot → Reset Token, copy it, and put DISCORD_TOKEN=<the token> in .env (see .env.example).
  3. Invite the bot: OAuth2 → URL Generator → scopes "bot" and "applications.commands",
     permissions View Channels, Send Messages, Attach Files, Embed Links, Read Message History.`;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      const missingToken = !process.env.DISCORD_TOKEN?.trim();
      process.stderr.write(`${missingToken ? HOW_TO_GET_A_TOKEN : `Configuration error: ${error.message}`}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  const bot = await createBot({ config, logger }).catch((error: unknown) => {
    const message = (error as { userMessage?: string; message?: string }).message ?? String(error);
    logger.fatal({ err: error }, `cannot start: ${message}`);
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    bot
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  try {
    await bot.start();
  } catch (error) {
    logger.fatal({ err: error }, 'cannot connect to Discord');
    await bot.stop().catch(() => undefined);
    process.exit(1);
  }
}

await main();
