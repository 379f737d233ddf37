/**
 * SHARDS through the real entry point (src/index.ts in a child process, as `npm start` runs it): a SQLite store with
 * more than one shard is refused with one line (also when `auto` resolves to 2 through DISCORD_API_BASE), and
 * SHARDS=1 runs the manager with the production shard script, serves /healthz on METRICS_PORT and stops on SIGTERM;
 * without SHARDS the one process serves METRICS_PORT itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordDouble } from './doubles/discord/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(repo, 'src', 'index.ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startEntry(env: Record<string, string>, cwd: string): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', tsxLoader, entry], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code) => child.on('close', () => resolve({ code, stdout, stderr })));
  });
  return { child, exited };
}

/** A port nobody listens on right now (the OS picks it; the bot binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SHARDS at npm start', () => {
  let cwd: string;
  let discord: Awaited<ReturnType<typeof startDiscordDouble>>;
  let base: Record<string, string>;

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'ptero-shard-start-'));
    discord = await startDiscordDouble({ shards: 2, heartbeatMs: 1000 });
    discord.addGuild({ name: 'Gamers' });
    base = {
      DISCORD_TOKEN: discord.botToken,
      DISCORD_API_BASE: discord.apiBase,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      STORE_URL: `sqlite://${path.join(cwd, 'store.sqlite')}`,
    };
  });
  afterAll(async () => {
    await discord?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it.each([
    { shards: '2', message: 'Configuration error: STORE_URL: 2 shard processes cannot share a sqlite:// store' },
    { shards: 'auto', message: 'Configuration error: STORE_URL: 2 shard processes cannot share a sqlite:// store' },
  ])('SHARDS=$shards with sqlite:// exits 1 with one line', async ({ shards, message }) => {
    const { exited } = startEntry({ ...base, SHARDS: shards }, cwd);
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('use redis:// or postgresql://');
    expect(result.stderr).not.toContain(discord.botToken);
    expect(discord.metrics.identifies).toBe(0);
  });

  /** Polls /healthz until 200; fails early if the process exits. */
  async function healthy(port: number, exited: Promise<Exit>): Promise<void> {
    let early: Exit | undefined;
    void exited.then((r) => {
      early = r;
    });
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (status !== 200) {
      if (early) throw new Error(`exited early (${early.code}): ${early.stderr}${early.stdout}`);
      if (Date.now() > deadline) throw new Error('no healthy /healthz within 30 s');
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('without SHARDS one process serves /metrics and /healthz on METRICS_PORT', async () => {
    const port = await freePort();
    const { child, exited } = startEntry({ ...base, METRICS_PORT: String(port) }, cwd);
    await healthy(port, exited);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('ptero_bridge_gateway_ready 1');
    expect(metrics).not.toContain('shard=');
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code, result.stderr).toBe(0);
    await discord.waitFor(() => (discord.liveSessions().length === 0 ? true : undefined), 5_000, 'no live session');
  }, 40_000);

  it('SHARDS=1 runs the production shard script, serves /healthz and stops on SIGTERM', async () => {
    const port = await freePort();
    const identifiesBefore = discord.metrics.identifyLog.length;
    const { child, exited } = startEntry({ ...base, SHARDS: '1', METRICS_PORT: String(port) }, cwd);
    await healthy(port, exited);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('ptero_bridge_gateway_ready{shard="0"} 1');
    expect(metrics).toContain('ptero_bridge_shard_up{shard="0"} 1');
    expect(discord.metrics.identifyLog.slice(identifiesBefore).map((i) => i.shard.join('/'))).toEqual(['0/1']);
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('"signal":"SIGTERM"');
    expect(result.stdout).not.toContain(discord.botToken);
    await discord.waitFor(() => (discord.liveSessions().length === 0 ? true : undefined), 5_000, 'no live session');
  }, 40_000);
});
