/**
 * Two shard processes over one Redis store, against the Discord double (shards: 2, so SHARDS=auto resolves to 2 through
 * DISCORD_API_BASE) and the panel+Wings double, both in this test process. Four guilds, two per shard by
 * (guild_id >> 22) % 2: each guild binds its own server, runs a command that goes through Wings, and gets its console
 * feed; every server has exactly one socket, opened by the shard that owns the guild; the manager's /metrics shows each
 * shard's own share and /healthz is 200.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { type RunningShards, startShardManager } from '../src/shard/manager.ts';
import { type Backend, openBackend } from '../src/store/backend.ts';
import { openStore } from '../src/store/index.ts';
import { type GuildHandle, type MemberRecord, startDiscordDouble } from './doubles/discord/index.ts';
import { startPanelWingsDouble } from './doubles/panel-wings/index.ts';
import { LogCapture } from './e2e/harness.ts';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl) console.warn('shard-e2e: skipping — TEST_REDIS_URL is not set');

const DISCORD_EPOCH = 1_420_070_400_000n;

/** Guild ids whose shard (of 2) is known: consecutive snowflake timestamps alternate (id >> 22) % 2. */
function guildIds(count: number): string[] {
  const ms = BigInt(Date.now()) - DISCORD_EPOCH - 60_000n;
  return Array.from({ length: count }, (_, i) => ((ms + BigInt(i)) << 22n).toString());
}
const shardOf = (id: string) => Number((BigInt(id) >> 22n) % 2n);

async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (!line.startsWith('#') && line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

interface GuildWorld {
  guild: GuildHandle;
  admin: MemberRecord;
  shard: number;
  server: ReturnType<Awaited<ReturnType<typeof startPanelWingsDouble>>['addServer']>;
  apiKey: string;
}

describe.skipIf(!redisUrl)('two shard processes over one Redis store', () => {
  let discord: Awaited<ReturnType<typeof startDiscordDouble>>;
  let panel: Awaited<ReturnType<typeof startPanelWingsDouble>>;
  let running: RunningShards | undefined;
  let raw: Backend | undefined;
  const namespace = `shard-e2e-${randomBytes(4).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('base64');
  const managerLogs = new LogCapture();
  const worlds: GuildWorld[] = [];

  const metricsText = async () => {
    const res = await fetch(`${running?.metricsServer?.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    discord = await startDiscordDouble({ shards: 2, heartbeatMs: 1000 });
    panel = await startPanelWingsDouble({ statsIntervalMs: 1000 });
    for (const [i, id] of guildIds(4).entries()) {
      const guild = discord.addGuild({ id, name: `Guild ${i}`, channels: ['general', 'console'] });
      const admin = discord.addMember(guild.id, { username: `admin-${i}`, permissions: ['ManageGuild'] });
      const server = panel.addServer({ name: `World ${i}` });
      const apiKey = panel.addApiKey({ servers: { [server.identifier]: ['*'] } });
      worlds.push({ guild, admin, shard: shardOf(id), server, apiKey });
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DISCORD_TOKEN: discord.botToken,
      DISCORD_API_BASE: discord.apiBase,
      STORE_URL: redisUrl ?? '',
      ENCRYPTION_KEY: encryptionKey,
      LOG_LEVEL: 'warn',
      SHARDS: 'auto',
      CMD_OUTPUT_WINDOW_MS: '300',
      PTERO_TEST_STORE_NAMESPACE: namespace,
    };
    running = await startShardManager({
      config: loadConfig(env),
      logger: createLogger({ level: 'info', destination: managerLogs }),
      env,
      script: fileURLToPath(new URL('./shard-child-entry.ts', import.meta.url)),
      execArgv: ['--import', 'tsx'],
      spawnDelayMs: 0,
      metricsPort: 0,
    });
    await running.spawned;
  }, 60_000);

  afterAll(async () => {
    await running?.stop(10_000);
    raw = redisUrl
      ? await openBackend({ url: redisUrl, namespace, logger: createLogger({ level: 'silent' }) })
      : undefined;
    if (raw) {
      for (const key of await raw.keys('')) await raw.delete(key);
      await raw.close();
    }
    await panel?.close();
    await discord?.close();
  }, 30_000);

  it('splits the guilds across two shard processes that identify once each', async () => {
    expect(running?.totalShards).toBe(2);
    expect(new Set(worlds.map((w) => w.shard))).toEqual(new Set([0, 1]));
    const shards = discord.metrics.identifyLog.map((i) => i.shard.join('/')).sort();
    expect(shards).toEqual(['0/2', '1/2']);
    const health = await waitFor(async () => {
      const res = await fetch(`${running?.metricsServer?.url}/healthz`);
      return res.status === 200 ? ((await res.json()) as unknown) : undefined;
    }, 'both shards healthy');
    expect(health).toEqual({ status: 'ok' });
  });

  it('binds, runs a command and feeds the console in every guild, each from its own shard', async () => {
    await Promise.all(
      worlds.map(async (w, i) => {
        const consoleId = w.guild.channel('console').id;
        const bind = discord.invokeCommand({
          guildId: w.guild.id,
          channelId: w.guild.channel('general').id,
          member: w.admin,
          name: 'server',
          subcommand: 'add',
          options: {
            name: `World ${i}`,
            panel_url: panel.panelUrl,
            server_id: w.server.identifier,
            api_key: w.apiKey,
            console_channel: consoleId,
          },
        });
        const bound = await waitFor(() => {
          const text = bind.final()?.content;
          return text?.startsWith('Bound') ? text : undefined;
        }, `the bind in guild ${i}`);
        expect(bound).toContain(`World ${i}`);
        // Seen by the owning shard at once: the next command finds the binding live.
        const start = discord.invokeCommand({
          guildId: w.guild.id,
          channelId: w.guild.channel('general').id,
          member: w.admin,
          name: 'start',
        });
        const started = await waitFor(() => {
          const text = start.final()?.content;
          return text?.includes('running ✅') ? text : undefined;
        }, `/start in guild ${i}`);
        // The reply may or may not show the state Wings reported before the start ("offline… ").
        expect(started).toMatch(new RegExp(`^\\*\\*World ${i}\\*\\*: (offline… )?starting… running ✅$`));
        expect(w.server.state).toBe('running');
        w.server.emitConsole([`hello from guild ${i}`]);
        await waitFor(
          () => discord.messages(consoleId).some((m) => m.content.includes(`hello from guild ${i}`)) || undefined,
          `the feed line in guild ${i}`,
        );
      }),
    );
    // Every line landed only in its own guild's console channel.
    for (const [i, w] of worlds.entries()) {
      const text = discord
        .messages(w.guild.channel('console').id)
        .map((m) => m.content)
        .join('\n');
      for (let j = 0; j < worlds.length; j++) expect(text.includes(`hello from guild ${j}`)).toBe(i === j);
    }
  });

  it('connects each server once, from the shard that owns its guild', async () => {
    for (const w of worlds) {
      expect(panel.metrics.openSockets(w.server.uuid)).toBe(1);
      expect(panel.metrics.upgrades.filter((u) => u.accepted && u.uuid === w.server.uuid)).toHaveLength(1);
    }
    const text = await metricsText();
    for (const shard of [0, 1]) {
      const owned = worlds.filter((w) => w.shard === shard).length;
      expect(sample(text, `ptero_bridge_wings_connections{state="ready",shard="${shard}"}`)).toBe(owned);
      expect(sample(text, `ptero_bridge_bindings_live{shard="${shard}"}`)).toBe(owned);
      expect(sample(text, `ptero_bridge_guilds{shard="${shard}"}`)).toBe(owned);
      expect(sample(text, `ptero_bridge_commands_total{command="start",result="ok",shard="${shard}"}`)).toBe(owned);
      expect(sample(text, `ptero_bridge_shard_up{shard="${shard}"}`)).toBe(1);
      expect(sample(text, `ptero_bridge_gateway_ready{shard="${shard}"}`)).toBe(1);
    }
    expect(sample(text, 'ptero_bridge_shards{shard="manager"}')).toBe(2);
    expect(text).not.toContain(discord.botToken);
    for (const w of worlds) expect(text).not.toContain(w.apiKey);
  });

  it('keeps every binding in the one shared store', async () => {
    const store = await openStore({
      url: redisUrl ?? '',
      encryptionKey: Buffer.from(encryptionKey, 'base64'),
      logger: createLogger({ level: 'silent' }),
      namespace,
    });
    try {
      expect((await store.bindings.listGuildIds()).sort()).toEqual(worlds.map((w) => w.guild.id).sort());
    } finally {
      await store.close();
    }
  });

  it('starts a killed shard again, which brings its guilds back from the shared store', async () => {
    const victim = running?.manager.shards.get(1)?.process;
    expect(victim?.pid).toBeDefined();
    const health = async () => (await fetch(`${running?.metricsServer?.url}/healthz`)).status;
    victim?.kill('SIGKILL');
    await waitFor(async () => ((await health()) === 503 ? true : undefined), 'unhealthy while shard 1 is down');
    await waitFor(async () => ((await health()) === 200 ? true : undefined), 'healthy again', 30_000);
    const text = await metricsText();
    expect(sample(text, 'ptero_bridge_shard_restarts_total{shard="1"}')).toBe(1);
    expect(sample(text, 'ptero_bridge_shard_restarts_total{shard="0"}') ?? 0).toBe(0);
    const owned = worlds.filter((w) => w.shard === 1);
    expect(sample(text, 'ptero_bridge_bindings_live{shard="1"}')).toBe(owned.length);
    for (const w of owned) {
      await waitFor(() => (panel.metrics.openSockets(w.server.uuid) === 1 ? true : undefined), 'the socket again');
      const consoleId = w.guild.channel('console').id;
      w.server.emitConsole(['after the shard restart']);
      await waitFor(
        () => discord.messages(consoleId).some((m) => m.content.includes('after the shard restart')) || undefined,
        'the feed after the restart',
      );
    }
    for (const w of worlds) expect(panel.metrics.openSockets(w.server.uuid)).toBe(1);
  }, 45_000);

  it('stops every shard process on stop()', async () => {
    const children = [...(running?.manager.shards.values() ?? [])].map((s) => s.process);
    expect(children.every((c) => c && c.exitCode === null)).toBe(true);
    await running?.stop(10_000);
    expect(children.map((c) => c?.exitCode)).toEqual([0, 0]);
    await discord.waitFor(() => (discord.liveSessions().length === 0 ? true : undefined), 5_000, 'no live session');
  });
});
