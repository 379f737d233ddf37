/** Metrics and health for one bot process; the sharding manager merges these from every shard (src/shard/). */
import type { Bot } from '../app.ts';
import { checkHealth, type HealthReport } from './health.ts';
import type { BotMetrics } from './registry.ts';
import type { MetricsSource } from './server.ts';

export { checkHealth, type HealthReport, type HealthTarget } from './health.ts';
export { gatewayReady, type ObservedBot, observeBot } from './observe.ts';
export { BotMetrics, type BotMetricsOptions, type MetricsJson } from './registry.ts';
export { type MetricsServer, type MetricsSource, startMetricsServer } from './server.ts';

/** /metrics and /healthz of a single bot process. */
export function botMetricsSource(
  metrics: BotMetrics,
  bot: Pick<Bot, 'client' | 'store'>,
  started?: () => boolean,
): MetricsSource {
  return {
    metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
    health: (): Promise<HealthReport> =>
      checkHealth({ client: bot.client, store: bot.store, ...(started ? { started } : {}) }),
  };
}
