/**
 * The inside of one shard process (forked by the sharding manager): the ordinary bot, whose discord.js client picks up
 * its shard id and count from the environment discord.js sets, and which answers the manager's metrics and health
 * questions. It serves no port of its own; the manager serves /metrics and /healthz for all shards.
 */
import type { BotOptions } from '../app.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { BotMetrics, checkHealth } from '../metrics/index.ts';
import { runBotProcess } from './bot-process.ts';
import { answerManager } from './ipc.ts';

export type ShardProcessOptions = Omit<BotOptions, 'config' | 'logger'>;

export async function runShardProcess(options: ShardProcessOptions = {}): Promise<void> {
  // discord.js sets SHARDS to this shard's id in its children; our SHARDS (the count) was the manager's to read.
  const shardId = process.env.SHARDS ?? '?';
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...process.env, SHARDS: undefined });
  } catch (error) {
    // The manager validated the same environment; this is only reachable if the shard got a different one.
    process.stderr.write(`shard ${shardId}: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.LOG_LEVEL }).child({ shard: Number(shardId) });
  const metrics = new BotMetrics({ defaultLabels: { shard: shardId } });
  const running = await runBotProcess({
    config,
    logger,
    botOptions: options,
    metrics,
    beforeStart: (r) => {
      answerManager({
        metrics: () => metrics.json(),
        health: () => checkHealth({ client: r.bot.client, store: r.bot.store, started: r.started }),
      });
    },
  });
  // The manager is gone (crashed or killed hard): nobody supervises this shard any more, so stop it.
  process.once('disconnect', () => running.shutdown('manager disconnected'));
  if (!process.connected) running.shutdown('manager disconnected');
}
