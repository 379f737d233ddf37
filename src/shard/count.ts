/**
 * How many shards to run. `SHARDS=auto` asks Discord for its recommendation through the configured REST base
 * (DISCORD_API_BASE): discord.js's own `auto` lookup always calls discord.com, which a REST proxy setup cannot allow.
 */
import type { Config } from '../config.ts';

export class ShardPlanError extends Error {
  override name = 'ShardPlanError';
}

export interface ShardCountOptions {
  apiBase: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** GET {apiBase}/v10/gateway/bot → `shards` (Discord's recommended count for this bot). */
export async function fetchRecommendedShardCount(options: ShardCountOptions): Promise<number> {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.apiBase.replace(/\/+$/, '')}/v10/gateway/bot`;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { Authorization: `Bot ${options.token}` },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ShardPlanError(`SHARDS=auto: cannot ask ${url} for the recommended shard count (${reason})`);
  }
  if (response.status === 401) {
    throw new ShardPlanError(
      'SHARDS=auto: Discord refused DISCORD_TOKEN (401) when asked for the recommended shard count',
    );
  }
  if (!response.ok) {
    throw new ShardPlanError(
      `SHARDS=auto: ${url} answered ${response.status} when asked for the recommended shard count`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { shards?: unknown } | undefined;
  const shards = body?.shards;
  if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1) {
    throw new ShardPlanError(`SHARDS=auto: ${url} gave no usable shard count`);
  }
  return shards;
}

/**
 * Several processes may not share one SQLite file: refuse before anything starts. (Measured: four processes adding
 * bindings for different guilds to one file lost nothing, thanks to per-guild keys and a 5 s busy timeout, but every
 * write then waits on one file lock, a busy spell past 5 s fails the write, and the file cannot be shared across
 * hosts at all; a shared store is the supported set-up.)
 */
export function storeProblemForShards(storeUrl: string, shardCount: number): string | undefined {
  if (shardCount <= 1 || !/^sqlite:/i.test(storeUrl)) return undefined;
  return `STORE_URL: ${shardCount} shard processes cannot share a sqlite:// store; use redis:// or postgresql:// (sqlite:// is for one process)`;
}

/** The shard count to run: the configured number, or Discord's recommendation for `auto`. */
export async function resolveShardCount(
  config: Pick<Config, 'SHARDS' | 'DISCORD_API_BASE' | 'DISCORD_TOKEN' | 'STORE_URL'>,
  fetchImpl?: typeof fetch,
): Promise<number> {
  const count =
    config.SHARDS === 'auto'
      ? await fetchRecommendedShardCount({
          apiBase: config.DISCORD_API_BASE,
          token: config.DISCORD_TOKEN,
          ...(fetchImpl ? { fetch: fetchImpl } : {}),
        })
      : (config.SHARDS ?? 1);
  const problem = storeProblemForShards(config.STORE_URL, count);
  if (problem) throw new ShardPlanError(problem);
  return count;
}
