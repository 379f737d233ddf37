/**
 * SHARDS: runs the bot under discord.js's ShardingManager, one process per shard. Each shard process owns the guilds
 * Discord routes to it ((guild_id >> 22) % count), and with them those guilds' bindings and Wings sockets; the store
 * (Redis or PostgreSQL) is the only thing they share.
 *
 * Metrics: shard processes cannot all bind METRICS_PORT, and prom-client's AggregatorRegistry needs node:cluster, which
 * discord.js does not use. So this manager process serves /metrics and /healthz alone and asks every shard over IPC
 * for its prom-client JSON and its health, merging the JSON with AggregatorRegistry.aggregate (each shard's series
 * carry a `shard` label, so nothing is summed away). One port is also what a container HEALTHCHECK needs.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Shard, ShardingManager } from 'discord.js';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { type HealthReport, type MetricsServer, startMetricsServer } from '../metrics/index.ts';
import type { MetricsJson } from '../metrics/registry.ts';
import { resolveShardCount } from './count.ts';
import { ShardQuestions } from './ipc.ts';

export interface ShardManagerOptions {
  config: Config;
  logger: Logger;
  /** Environment of the shard processes (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Script forked per shard (default: child.ts/child.js next to this file). */
  script?: string;
  /** Node flags of the shard processes (default: --import tsx when running from .ts sources, else none). */
  execArgv?: string[];
  /** Pause between shard starts, after each is ready (Discord allows one IDENTIFY per 5 s). Default 5500. */
  spawnDelayMs?: number;
  /** How long a shard may take to become ready. Default 60 000. */
  readyTimeoutMs?: number;
  /** How long a shard may take to answer a metrics or health question. Default 3000. */
  askTimeoutMs?: number;
  /** Overrides METRICS_PORT (tests: 0 for any free port). */
  metricsPort?: number;
  /** For the SHARDS=auto lookup. */
  fetch?: typeof fetch;
}

export interface RunningShards {
  readonly manager: ShardingManager;
  readonly totalShards: number;
  readonly metricsServer: MetricsServer | undefined;
  /** Resolves when every shard has become ready once; rejects when one cannot start. */
  readonly spawned: Promise<void>;
  /** SIGTERM to every shard, wait for them to exit (SIGKILL after `deadlineMs`), close the metrics server. */
  stop(deadlineMs?: number): Promise<void>;
}

/** What a discord.js shard process reads from its environment (ShardingManager and Shard set these). */
const DISCORD_JS_SHARD_ENV = ['SHARDING_MANAGER', 'SHARDING_MANAGER_MODE', 'SHARDS', 'SHARD_COUNT', 'DISCORD_TOKEN'];

function defaultScript(): { script: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSource ? './child.ts' : './child.js', import.meta.url));
  // Running from sources (tests, `node --import tsx`): the shard needs the same loader, resolved from here, not from
  // whatever working directory the bot was started in.
  const tsx = fromSource ? pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href : undefined;
  return { script, execArgv: tsx ? ['--import', tsx] : [] };
}

export async function startShardManager(options: ShardManagerOptions): Promise<RunningShards> {
  const { config, logger } = options;
  const totalShards = await resolveShardCount(config, options.fetch);
  const defaults = defaultScript();
  const manager = new ShardingManager(options.script ?? defaults.script, {
    totalShards,
    token: config.DISCORD_TOKEN,
    mode: 'process',
    respawn: true,
    execArgv: options.execArgv ?? defaults.execArgv,
  });
  const questions = new ShardQuestions(options.askTimeoutMs ?? 3_000);
  const own = new ManagerMetrics(totalShards);
  let stopping = false;

  manager.on('shardCreate', (shard) => {
    if (options.env) {
      // discord.js builds shard.env from process.env plus its own keys; keep only those and use the given environment.
      const built = shard.env as Record<string, unknown>;
      const own = Object.fromEntries(DISCORD_JS_SHARD_ENV.map((key) => [key, built[key] ?? process.env[key]]));
      shard.env = { ...options.env, ...own };
    }
    questions.attach(shard);
    shard.on('spawn', () => {
      logger.info({ shard: shard.id, pid: shard.process?.pid }, 'shard process started');
      if (stopping) shard.process?.kill('SIGTERM');
    });
    shard.on('ready', () => logger.info({ shard: shard.id }, 'shard ready'));
    shard.on('death', (child) => {
      if (stopping) return;
      own.restarts.inc({ shard: String(shard.id) });
      const exitCode = 'exitCode' in child ? child.exitCode : undefined;
      logger.error({ shard: shard.id, exitCode }, 'shard process exited; starting it again');
    });
    shard.on('error', (err) => logger.error({ err, shard: shard.id }, 'shard error'));
  });

  logger.info({ shards: totalShards }, 'starting shard processes');
  const spawned = manager
    .spawn({ amount: totalShards, delay: options.spawnDelayMs ?? 5_500, timeout: options.readyTimeoutMs ?? 60_000 })
    .then(() => logger.info({ shards: totalShards }, 'all shards ready'));

  const port = options.metricsPort ?? config.METRICS_PORT;
  let metricsServer: MetricsServer | undefined;
  if (port !== undefined) {
    metricsServer = await startMetricsServer({
      host: config.METRICS_HOST,
      port,
      logger,
      source: {
        metrics: async () => {
          const registry = AggregatorRegistry.aggregate(await collectMetrics(manager, questions, own, totalShards));
          return { contentType: registry.contentType, body: await registry.metrics() };
        },
        health: () => collectHealth(manager, questions, totalShards),
      },
    });
  }

  return {
    manager,
    totalShards,
    metricsServer,
    spawned,
    async stop(deadlineMs = 20_000) {
      stopping = true;
      manager.respawn = false;
      await Promise.all([...manager.shards.values()].map((shard) => stopShard(shard, deadlineMs)));
      await spawned.catch(() => undefined);
      await metricsServer?.close();
    },
  };
}

/** The manager's own series: shard liveness and restarts, and its process metrics under shard="manager". */
class ManagerMetrics {
  readonly registry = new Registry();
  readonly shards: Gauge;
  readonly shardUp: Gauge<'shard'>;
  readonly restarts: Counter<'shard'>;

  constructor(totalShards: number) {
    this.registry.setDefaultLabels({ shard: 'manager' });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.shards = new Gauge({ name: 'ptero_bridge_shards', help: 'Shard processes configured', registers });
    this.shards.set(totalShards);
    this.shardUp = new Gauge({
      name: 'ptero_bridge_shard_up',
      help: '1 when the shard process answered this scrape, else 0',
      labelNames: ['shard'],
      registers,
    });
    this.restarts = new Counter({
      name: 'ptero_bridge_shard_restarts_total',
      help: 'Shard processes that exited unexpectedly and were started again',
      labelNames: ['shard'],
      registers,
    });
  }
}

async function collectMetrics(
  manager: ShardingManager,
  questions: ShardQuestions,
  own: ManagerMetrics,
  totalShards: number,
): Promise<MetricsJson[]> {
  const answers = await Promise.all(
    shardIds(totalShards).map(async (id) => {
      const shard = manager.shards.get(id);
      const answer = shard ? await questions.ask(shard, 'metrics').catch(() => undefined) : undefined;
      own.shardUp.set({ shard: String(id) }, answer?.metrics ? 1 : 0);
      return answer?.metrics;
    }),
  );
  return [await own.registry.getMetricsAsJSON(), ...answers.filter((m): m is MetricsJson => m !== undefined)];
}

async function collectHealth(
  manager: ShardingManager,
  questions: ShardQuestions,
  totalShards: number,
): Promise<HealthReport> {
  const reasons = await Promise.all(
    shardIds(totalShards).map(async (id): Promise<string[]> => {
      const shard = manager.shards.get(id);
      if (!shard) return [`shard ${id}: not started yet`];
      try {
        const answer = await questions.ask(shard, 'health');
        if (answer.error || !answer.health) return [`shard ${id}: ${answer.error ?? 'no health report'}`];
        return (answer.health.reasons ?? []).map((r) => `shard ${id}: ${r}`);
      } catch (error) {
        return [`shard ${id}: ${error instanceof Error ? error.message : String(error)}`];
      }
    }),
  );
  const all = reasons.flat();
  return all.length === 0 ? { ok: true } : { ok: false, reasons: all };
}

function shardIds(total: number): number[] {
  return Array.from({ length: total }, (_, i) => i);
}

async function stopShard(shard: Shard, deadlineMs: number): Promise<void> {
  const child = shard.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
