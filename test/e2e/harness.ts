/**
 * End-to-end world: the real bot (discord.js client, router, commands, store on a real SQLite file, Wings client)
 * against the Discord double and the panel+Wings double, wired only through the bot's ordinary configuration.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Bot, createBot } from '../../src/app.ts';
import type { FeedTuning } from '../../src/bridge/feeds.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import type { HubConnectionOptions } from '../../src/wings/hub.ts';
import { startDiscordDouble } from '../doubles/discord/index.ts';
import { type PanelWingsDoubleOptions, startPanelWingsDouble } from '../doubles/panel-wings/index.ts';

export type DiscordDouble = Awaited<ReturnType<typeof startDiscordDouble>>;
export type PanelDouble = Awaited<ReturnType<typeof startPanelWingsDouble>>;

export interface WorldOptions {
  panel?: PanelWingsDoubleOptions;
  env?: Record<string, string>;
  discord?: Parameters<typeof startDiscordDouble>[0];
  connectionOptions?: HubConnectionOptions;
  feedTuning?: FeedTuning;
}

/** Everything the process wrote through its logger, one JSON line each, kept for assertions (secret greps). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export async function startWorld(options: WorldOptions = {}) {
  const discord = await startDiscordDouble({ heartbeatMs: 1000, ...options.discord });
  const panel = await startPanelWingsDouble({ statsIntervalMs: 200, ...options.panel });
  const guild = discord.addGuild({ name: 'Gamers', channels: ['general', 'console'] });
  const admin = discord.addMember(guild.id, { username: 'alice-admin', permissions: ['ManageGuild'] });
  const modRole = discord.addRole(guild.id, { name: 'Mods' });
  const moderator = discord.addMember(guild.id, { username: 'mo-moderator', roles: [modRole.id] });
  const member = discord.addMember(guild.id, { username: 'bob-member' });
  const dir = await mkdtemp(path.join(tmpdir(), 'ptero-e2e-'));
  const encryptionKey = randomBytes(32).toString('base64');
  const logs = new LogCapture();
  const env: Record<string, string> = {
    DISCORD_TOKEN: discord.botToken,
    DISCORD_API_BASE: discord.apiBase,
    DISCORD_GUILD_ID: guild.id,
    STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`,
    ENCRYPTION_KEY: encryptionKey,
    LOG_LEVEL: 'trace',
    CMD_OUTPUT_WINDOW_MS: '400',
    ...options.env,
  };
  let bot: Bot | undefined;

  const world = {
    discord,
    panel,
    guild,
    admin,
    moderator,
    modRole,
    member,
    logs,
    env,
    dir,
    get bot(): Bot {
      if (!bot) throw new Error('bot not started');
      return bot;
    },
    /** Starts the bot on the world's configuration; `commandsDir` swaps in another command folder. */
    async startBot(extra: { commandsDir?: string } = {}): Promise<Bot> {
      const config = loadConfig(env);
      const logger = createLogger({ level: config.LOG_LEVEL, destination: logs });
      bot = await createBot({
        config,
        logger,
        ...(options.connectionOptions ? { connectionOptions: options.connectionOptions } : {}),
        ...(options.feedTuning ? { feedTuning: options.feedTuning } : {}),
        ...(extra.commandsDir ? { commandsDir: extra.commandsDir } : {}),
      });
      await bot.start();
      return bot;
    },
    async stopBot(): Promise<void> {
      await bot?.stop();
      bot = undefined;
    },
    /** A panel server with an owner key, ready to bind. */
    addPanelServer(name = 'Survival', perms: string[] = ['*']) {
      const server = panel.addServer({ name });
      const apiKey = panel.addApiKey({ servers: { [server.identifier]: perms } });
      return { server, apiKey };
    },
    /** `/server add` as the admin; returns the interaction handle after the final reply. */
    async bind(
      name: string,
      server: { identifier: string },
      apiKey: string,
      extra: Record<string, string> = {},
      as = admin,
    ) {
      const handle = discord.invokeCommand({
        guildId: guild.id,
        channelId: guild.channel('general').id,
        member: as,
        name: 'server',
        subcommand: 'add',
        options: { name, panel_url: panel.panelUrl, server_id: server.identifier, api_key: apiKey, ...extra },
      });
      await handle.waitForReply((r) => r.kind !== 'callback' || r.callbackType !== 5, 15_000);
      return handle;
    },
    async close(): Promise<void> {
      await bot?.stop().catch(() => undefined);
      await panel.close();
      await discord.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** Waits until `check` returns a truthy value, re-checking on a short interval; fails with `what` after the timeout. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
