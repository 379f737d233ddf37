/**
 * `npm start`: read the configuration, then run the bot in this process, or (SHARDS set) one process per shard under
 * a sharding manager; stop gracefully on SIGINT/SIGTERM.
 */
import 'dotenv/config';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { runBotProcess } from './shard/bot-process.ts';
import { ShardPlanError } from './shard/count.ts';
import { type RunningShards, startShardManager } from './shard/manager.ts';

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
  if (config.SHARDS !== undefined) {
    await runManager(config, logger);
    return;
  }
  await runBotProcess({
    config,
    logger,
    ...(config.METRICS_PORT !== undefined ? { serve: { host: config.METRICS_HOST, port: config.METRICS_PORT } } : {}),
  });
}

/** SHARDS set: this process supervises one process per shard and serves their metrics. */
async function runManager(config: Config, logger: Logger): Promise<void> {
  let running: RunningShards;
  try {
    running = await startShardManager({ config, logger });
  } catch (error) {
    if (error instanceof ShardPlanError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err: error }, 'cannot start the shard processes');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down all shards');
    running
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
    await running.spawned;
  } catch (error) {
    if (stopping) return;
    // A shard that cannot start once would only crash again: stop the others rather than loop.
    logger.fatal({ err: error }, 'a shard could not start; stopping');
    await running.stop().catch(() => undefined);
    process.exit(1);
  }
}

await main();
