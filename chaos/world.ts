/**
 * The chaos world: both doubles in this process, the bot in a child process (chaos/bot-child.ts) wired to them only
 * through its ordinary environment, one guild with an admin, two moderators (by role) and two plain members, and N game
 * servers each bound through `/server add` to its own console channel.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDiscordDouble } from '../test/doubles/discord/index.ts';
import { type ServerHandle, startPanelWingsDouble } from '../test/doubles/panel-wings/index.ts';
import type { ChildOptions } from './bot-child.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';

export type DiscordDouble = Awaited<ReturnType<typeof startDiscordDouble>>;
export type PanelDouble = Awaited<ReturnType<typeof startPanelWingsDouble>>;
type Member = ReturnType<DiscordDouble['addMember']>;

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ChaosServer {
  index: number;
  name: string;
  handle: ServerHandle;
  apiKey: string;
  consoleChannelId: string;
}

export interface WorldOptions {
  servers: number;
  /** Both sides of the panel's websocket-token limit use this window (real: 60 s); scaled down in short runs. */
  tokenWindowMs: number;
  backoffMaxMs: number;
  memorySampleMs: number;
  logLevel: string;
}

export interface BotProcess {
  child: ChildProcess;
  /** Where the bot's stdout and stderr go, byte for byte. */
  logPath: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onMessage(listener: (message: ChildMessage) => void): void;
  send(message: ParentMessage): void;
}

export async function startChaosWorld(options: WorldOptions) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ptero-chaos-'));
  const discord = await startDiscordDouble({ heartbeatMs: 1000 });
  const panel = await startPanelWingsDouble({
    statsIntervalMs: 1000,
    rateWindowMs: options.tokenWindowMs,
    wsTokenPerMinute: 5,
  });
  const channels = ['general', ...Array.from({ length: options.servers }, (_, i) => `console-${i + 1}`)];
  const guild = discord.addGuild({ name: 'Chaos', channels });
  const admin = discord.addMember(guild.id, { username: 'alice-admin', permissions: ['ManageGuild'] });
  const modRole = discord.addRole(guild.id, { name: 'Mods' });
  const moderators: Member[] = [
    discord.addMember(guild.id, { username: 'mo-moderator', roles: [modRole.id] }),
    discord.addMember(guild.id, { username: 'mia-moderator', roles: [modRole.id] }),
  ];
  const members: Member[] = [
    discord.addMember(guild.id, { username: 'bob-member' }),
    discord.addMember(guild.id, { username: 'bea-member' }),
  ];
  const servers: ChaosServer[] = Array.from({ length: options.servers }, (_, i) => {
    const name = `S${i + 1}`;
    const handle = panel.addServer({ name });
    const apiKey = panel.addApiKey({ servers: { [handle.identifier]: ['*'] } });
    return { index: i + 1, name, handle, apiKey, consoleChannelId: guild.channel(`console-${i + 1}`).id };
  });
  const encryptionKey = randomBytes(32);
  const storePath = path.join(dir, 'store.sqlite');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DISCORD_TOKEN: discord.botToken,
    DISCORD_API_BASE: discord.apiBase,
    DISCORD_GUILD_ID: guild.id,
    STORE_URL: `sqlite://${storePath}`,
    ENCRYPTION_KEY: encryptionKey.toString('base64'),
    LOG_LEVEL: options.logLevel,
    CMD_OUTPUT_WINDOW_MS: '300',
  };
  const childOptions: ChildOptions = {
    backoffMaxMs: options.backoffMaxMs,
    wsTokenLimit: { count: 5, perMs: options.tokenWindowMs },
    memorySampleMs: options.memorySampleMs,
  };

  const startBot = (): BotProcess => {
    const logPath = path.join(dir, 'bot-output.log');
    const out: WriteStream = createWriteStream(logPath, { flags: 'a' });
    const child = fork(path.join(here, 'bot-child.ts'), [], {
      cwd: dir,
      env: { ...env, CHAOS_CHILD_OPTIONS: JSON.stringify(childOptions) },
      execArgv: ['--import', tsxLoader, '--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        child.on('close', () => out.end(() => resolve({ code, signal })));
      });
    });
    return {
      child,
      logPath,
      exited,
      onMessage: (listener) => child.on('message', (m) => listener(m as ChildMessage)),
      send: (message) => {
        if (child.connected) child.send(message);
      },
    };
  };

  return {
    dir,
    discord,
    panel,
    guild,
    admin,
    modRole,
    moderators,
    members,
    servers,
    env,
    encryptionKey,
    storePath,
    startBot,
    async close(): Promise<void> {
      await panel.close();
      await discord.close();
    },
  };
}

export type ChaosWorld = Awaited<ReturnType<typeof startChaosWorld>>;
