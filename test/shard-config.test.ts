/**
 * SHARDS / METRICS_PORT / METRICS_HOST parsing, the shared-store rule, and SHARDS=auto asking the configured REST base
 * (the Discord double's /gateway/bot `shards`) rather than discord.com.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import {
  fetchRecommendedShardCount,
  resolveShardCount,
  ShardPlanError,
  storeProblemForShards,
} from '../src/shard/count.ts';
import { startDiscordDouble } from './doubles/discord/index.ts';

const base = { DISCORD_TOKEN: 'MTIz.fake.token', ENCRYPTION_KEY: randomBytes(32).toString('base64') };

describe('SHARDS', () => {
  const table: Array<[string | undefined, number | 'auto' | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['auto', 'auto'],
    [' AUTO ', 'auto'],
    ['1', 1],
    ['2', 2],
    ['16', 16],
    ['1024', 1024],
  ];
  it.each(table)('%j → %j', (raw, expected) => {
    expect(loadConfig({ ...base, ...(raw === undefined ? {} : { SHARDS: raw }) }).SHARDS).toBe(expected);
  });

  it.each(['0', '-1', '1.5', 'two', '2x', '1025', '1e3', '0x10'])('refuses %j naming the variable', (raw) => {
    expect(() => loadConfig({ ...base, SHARDS: raw })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, SHARDS: raw })).toThrow(/^SHARDS must be auto or a whole number/);
  });
});

describe('METRICS_PORT and METRICS_HOST', () => {
  it('default to no server and loopback', () => {
    const config = loadConfig(base);
    expect(config.METRICS_PORT).toBeUndefined();
    expect(config.METRICS_HOST).toBe('127.0.0.1');
  });
  it.each([
    ['9464', 9464],
    [' 8080 ', 8080],
    ['65535', 65535],
  ])('METRICS_PORT %j → %d', (raw, port) => {
    expect(loadConfig({ ...base, METRICS_PORT: raw }).METRICS_PORT).toBe(port);
  });
  it.each(['0', '65536', 'http', '80.5', '-1'])('refuses METRICS_PORT %j', (raw) => {
    expect(() => loadConfig({ ...base, METRICS_PORT: raw })).toThrow(/^METRICS_PORT must be a TCP port number/);
  });
  it.each(['0.0.0.0', '::', '10.1.2.3', 'localhost'])('takes METRICS_HOST %j', (host) => {
    expect(loadConfig({ ...base, METRICS_HOST: host }).METRICS_HOST).toBe(host);
  });
  it.each(['http://0.0.0.0', 'a b'])('refuses METRICS_HOST %j', (host) => {
    expect(() => loadConfig({ ...base, METRICS_HOST: host })).toThrow(/^METRICS_HOST must be an address/);
  });
});

describe('shared store rule', () => {
  it.each([
    ['sqlite://data/x.sqlite', 1, false],
    ['sqlite:///data/x.sqlite', 2, true],
    ['redis://127.0.0.1:6379', 8, false],
    ['postgresql://u:p@db/x', 8, false],
  ] as const)('%s with %d shards refused: %s', (url, count, refused) => {
    const problem = storeProblemForShards(url, count);
    expect(problem !== undefined).toBe(refused);
    if (problem) {
      expect(problem).toMatch(/^STORE_URL: 2 shard processes cannot share a sqlite:\/\/ store; use redis:\/\//);
      expect(problem.split('\n')).toHaveLength(1);
    }
  });
});

describe('SHARDS=auto through DISCORD_API_BASE', () => {
  let discord: Awaited<ReturnType<typeof startDiscordDouble>>;
  beforeAll(async () => {
    discord = await startDiscordDouble({ shards: 3 });
  });
  afterAll(async () => {
    await discord?.close();
  });

  it('takes the recommended count from {DISCORD_API_BASE}/v10/gateway/bot', async () => {
    const before = discord.metrics.requestsByRoute.get('GET /gateway/bot') ?? 0;
    expect(await fetchRecommendedShardCount({ apiBase: discord.apiBase, token: discord.botToken })).toBe(3);
    expect(discord.metrics.requestsByRoute.get('GET /gateway/bot')).toBe(before + 1);
  });

  it('resolves auto with a shared store, and refuses it with SQLite once the count is above 1', async () => {
    const config = loadConfig({
      ...base,
      DISCORD_TOKEN: discord.botToken,
      DISCORD_API_BASE: discord.apiBase,
      SHARDS: 'auto',
      STORE_URL: 'redis://127.0.0.1:6379',
    });
    expect(await resolveShardCount(config)).toBe(3);
    const sqlite = { ...config, STORE_URL: 'sqlite://data/x.sqlite' };
    await expect(resolveShardCount(sqlite)).rejects.toThrow(/^STORE_URL: 3 shard processes cannot share/);
    expect(await resolveShardCount({ ...sqlite, SHARDS: 1 })).toBe(1);
    expect(await resolveShardCount({ ...sqlite, SHARDS: undefined })).toBe(1);
  });

  it('names a refused token without showing it', async () => {
    const error = await fetchRecommendedShardCount({ apiBase: discord.apiBase, token: 'not.the.token' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShardPlanError);
    expect((error as Error).message).toBe(
      'SHARDS=auto: Discord refused DISCORD_TOKEN (401) when asked for the recommended shard count',
    );
  });

  it('names an unreachable base without the token', async () => {
    const error = await fetchRecommendedShardCount({
      apiBase: 'http://127.0.0.1:9/api',
      token: discord.botToken,
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardPlanError);
    expect((error as Error).message).toMatch(
      /^SHARDS=auto: cannot ask http:\/\/127\.0\.0\.1:9\/api\/v10\/gateway\/bot/,
    );
    expect((error as Error).message).not.toContain(discord.botToken);
  });
});
