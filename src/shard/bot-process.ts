/**
 * One bot process from start to exit: the whole bot when SHARDS is unset, or one shard under the sharding manager.
 * Builds the bot, attaches metrics, starts it, and stops gracefully on SIGINT/SIGTERM (or when the manager goes away),
 * exiting 0 after a clean stop and 1 when the start or the stop fails.
 */
import { type Bot, type BotOptions, createBot } from '../app.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { BotMetrics, botMetricsSource, type MetricsServer, observeBot, startMetricsServer } from '../metrics/index.ts';

/** How long a graceful stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 15_000;

export interface BotProcessOptions {
  config: Config;
  logger: Logger;
  /** Extra bot options (tests: store namespace, protocol timings). */
  botOptions?: Omit<BotOptions, 'config' | 'logger'>;
  metrics?: BotMetrics;
  /** Serve /metrics and /healthz from this process (one process, METRICS_PORT set). */
  serve?: { host: string; port: number };
  /** Called with the bot before it starts (e.g. to answer the sharding manager). */
  beforeStart?: (running: RunningBot) => void;
}

export interface RunningBot {
  readonly bot: Bot;
  /** Attached to the bot when given in the options or served; otherwise idle. */
  readonly metrics: BotMetrics;
  readonly metricsServer: MetricsServer | undefined;
  /** True once start() finished: the gateway is ready and this process's bindings are live. */
  started(): boolean;
  /** Graceful stop, then process exit (0 when clean). */
  shutdown(reason: string): void;
}

export async function runBotProcess(options: BotProcessOptions): Promise<RunningBot> {
  const { config, logger } = options;
  const bot = await createBot({ config, logger, ...options.botOptions }).catch((error: unknown) => {
    const message = (error as { message?: string }).message ?? String(error);
    logger.fatal({ err: error }, `cannot start: ${message}`);
    process.exit(1);
  });
  const metrics = options.metrics ?? new BotMetrics({ processMetrics: options.serve !== undefined });
  // Nobody reads the metrics of a lone process without METRICS_PORT: skip the listeners and process sampling then.
  if (options.metrics || options.serve) observeBot(metrics, bot);
  let isStarted = false;
  let metricsServer: MetricsServer | undefined;
  if (options.serve) {
    try {
      metricsServer = await startMetricsServer({
        ...options.serve,
        source: botMetricsSource(metrics, bot, () => isStarted),
        logger,
      });
    } catch (error) {
      logger.fatal({ err: error }, `cannot listen for metrics on ${options.serve.host}:${options.serve.port}`);
      await bot.stop().catch(() => undefined);
      process.exit(1);
    }
  }

  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    force.unref();
    Promise.all([bot.stop(), metricsServer?.close()])
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const running: RunningBot = {
    bot,
    metrics,
    metricsServer,
    started: () => isStarted,
    shutdown,
  };
  options.beforeStart?.(running);
  try {
    await bot.start();
    isStarted = true;
  } catch (error) {
    if (stopping) return running; // a stop during the start: the shutdown above exits
    logger.fatal({ err: error }, 'cannot connect to Discord');
    await bot.stop().catch(() => undefined);
    process.exit(1);
  }
  return running;
}
