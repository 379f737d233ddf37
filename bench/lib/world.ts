/**
 * The real bot in this process against both doubles in a child process (hosts/world-host.ts): the bot's figures
 * (RSS, CPU) are its own, and the doubles have the other core.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Bot, createBot } from '../../src/app.ts';
import type { LiveBinding } from '../../src/bridge/bridge.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import type { HubConnectionOptions } from '../../src/wings/hub.ts';
import type { PanelWingsDoubleOptions } from '../../test/doubles/panel-wings/index.ts';
import type { ServerInfo, WorldInfo } from '../hosts/world-host.ts';
import { type Host, startHost } from './rpc.ts';
import { waitFor } from './wait.ts';

/** A log sink that keeps only a count (the bot logs at info as in production; the text is not needed). */
class CountingSink extends Writable {
  lines = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const byte of chunk) if (byte === 0x0a) this.lines++;
    done();
  }
}

export interface BenchWorld {
  host: Host;
  info: WorldInfo;
  bot: Bot;
  logs: CountingSink;
  /** Binds a fresh running server to the console channel and waits for its socket. */
  bind(name: string): Promise<{ server: ServerInfo; live: LiveBinding }>;
  close(): Promise<void>;
}

export async function startBenchWorld(
  options: {
    panel?: PanelWingsDoubleOptions;
    env?: Record<string, string>;
    connectionOptions?: HubConnectionOptions;
  } = {},
): Promise<BenchWorld> {
  const script = fileURLToPath(new URL('../hosts/world-host.ts', import.meta.url));
  const host = await startHost(script);
  const info = await host.call<WorldInfo>('start', { panel: options.panel ?? {} });
  const dir = await mkdtemp(path.join(tmpdir(), 'ptero-bench-'));
  const config = loadConfig({
    DISCORD_TOKEN: info.botToken,
    DISCORD_API_BASE: info.apiBase,
    DISCORD_GUILD_ID: info.guildId,
    STORE_URL: `sqlite://${path.join(dir, 'store.sqlite')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs = new CountingSink();
  const bot = await createBot({
    config,
    logger: createLogger({ level: config.LOG_LEVEL, destination: logs }),
    ...(options.connectionOptions ? { connectionOptions: options.connectionOptions } : {}),
  });
  await bot.start();
  return {
    host,
    info,
    bot,
    logs,
    async bind(name: string) {
      const server = await host.call<ServerInfo>('addServer', name);
      const live = await bot.bridge.add({
        id: randomUUID(),
        guildId: info.guildId,
        name,
        panelUrl: info.panelUrl,
        serverId: server.identifier,
        serverUuid: server.uuid,
        apiKey: server.apiKey,
        consoleChannelId: info.consoleChannelId,
        createdBy: info.adminId,
        createdAt: new Date().toISOString(),
      });
      await live.connection.waitForReady(10_000);
      await waitFor(() => live.connection.serverState === 'running', 'the server to be running', 10_000);
      return { server, live };
    },
    async close() {
      await bot.stop().catch(() => undefined);
      await host.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
