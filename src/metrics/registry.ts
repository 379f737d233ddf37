/**
 * The bot's Prometheus metrics (prom-client). Values come from what the other modules already expose or emit; nothing
 * here is labelled with a key, token or URL: labels are fixed vocabularies (states, outcomes, methods, status codes,
 * command names) plus the shard number under sharding.
 */
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

export const CONNECTION_STATES = ['idle', 'connecting', 'ready', 'retrying', 'stopped'] as const;
export const FEED_OUTCOMES = ['received', 'inline', 'attached', 'dropped'] as const;
export type CommandResult = 'ok' | 'refused' | 'error';

export interface BotMetricsOptions {
  /** Labels on every series, e.g. { shard: '0' } in a shard process. */
  defaultLabels?: Record<string, string>;
  /** Node process metrics (CPU, memory, event loop); default true. */
  processMetrics?: boolean;
}

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export class BotMetrics {
  readonly registry = new Registry();
  readonly gatewayReady: Gauge;
  readonly guilds: Gauge;
  readonly bindings: Gauge;
  readonly wingsConnections: Gauge<'state'>;
  readonly wingsReconnects: Counter;
  readonly wingsTokenRefreshes: Counter;
  readonly feedLines: Counter<'outcome'>;
  readonly feedFailedRequests: Counter;
  readonly discordRequests: Counter<'method' | 'status'>;
  readonly discordRateLimited: Counter<'scope'>;
  readonly discordRateLimitWaits: Counter<'scope'>;
  readonly commands: Counter<'command' | 'result'>;
  private readonly collectors = new Set<() => void>();

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.gatewayReady = new Gauge({
      name: 'ptero_bridge_gateway_ready',
      help: '1 while the Discord gateway session is ready, else 0',
      registers,
    });
    this.guilds = new Gauge({ name: 'ptero_bridge_guilds', help: 'Guilds this process serves', registers });
    this.bindings = new Gauge({
      name: 'ptero_bridge_bindings_live',
      help: 'Bindings brought to life in this process',
      registers,
    });
    this.wingsConnections = new Gauge({
      name: 'ptero_bridge_wings_connections',
      help: 'Wings websocket connections by state',
      labelNames: ['state'],
      registers,
    });
    this.wingsReconnects = new Counter({
      name: 'ptero_bridge_wings_reconnects_total',
      help: 'Wings sockets opened again after the first one of a connection',
      registers,
    });
    this.wingsTokenRefreshes = new Counter({
      name: 'ptero_bridge_wings_token_refreshes_total',
      help: 'Wings JWT refreshes acknowledged on a live socket',
      registers,
    });
    this.feedLines = new Counter({
      name: 'ptero_bridge_feed_lines_total',
      help: 'Console lines by outcome: received from Wings, posted inline, posted as attachment, dropped',
      labelNames: ['outcome'],
      registers,
    });
    this.feedFailedRequests = new Counter({
      name: 'ptero_bridge_feed_failed_requests_total',
      help: 'Console feed requests to Discord that failed',
      registers,
    });
    this.discordRequests = new Counter({
      name: 'ptero_bridge_discord_requests_total',
      help: 'Discord REST responses by method and HTTP status',
      labelNames: ['method', 'status'],
      registers,
    });
    this.discordRateLimited = new Counter({
      name: 'ptero_bridge_discord_429_total',
      help: 'Discord REST 429 responses by X-RateLimit-Scope (user, global, shared)',
      labelNames: ['scope'],
      registers,
    });
    this.discordRateLimitWaits = new Counter({
      name: 'ptero_bridge_discord_rate_limit_waits_total',
      help: 'Requests discord.js held back to respect a known rate limit, by scope',
      labelNames: ['scope'],
      registers,
    });
    this.commands = new Counter({
      name: 'ptero_bridge_commands_total',
      help: 'Slash commands by name and result (ok, refused with a user-facing reason, error)',
      labelNames: ['command', 'result'],
      registers,
    });
    for (const state of CONNECTION_STATES) this.wingsConnections.set({ state }, 0);
    for (const outcome of FEED_OUTCOMES) this.feedLines.inc({ outcome }, 0);
  }

  /** Runs before every read: brings the sampled values (connection states, feed counters) up to date. */
  addCollector(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** Prometheus text exposition. */
  async text(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  /** The same values as JSON, for the sharding manager to merge. */
  async json(): Promise<MetricsJson> {
    this.refresh();
    return this.registry.getMetricsAsJSON();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private refresh(): void {
    for (const collect of this.collectors) collect();
  }
}
