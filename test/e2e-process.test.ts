/**
 * `npm start` as an operator meets it: the real entry point in a child process with a clean environment, run from an
 * empty folder (so no .env is picked up). Configuration mistakes print one helpful text and exit non-zero; SIGTERM
 * against live doubles stops the bot and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordDouble } from './doubles/discord/index.ts';
import { startPanelWingsDouble } from './doubles/panel-wings/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(repo, 'src', 'index.ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startBotProcess(env: Record<string, string>, cwd: string): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', tsxLoader, entry], {
    cwd,
    // Only what node needs to run; nothing of this test process's environment leaks in.
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
    child.on('exit', (code, signal) => {
      // 'exit' can come before the pipes are drained; 'close' follows once they are.
      child.on('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });
  return { child, exited };
}

describe('npm start', () => {
  let cwd: string;
  const validKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'ptero-e2e-process-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const cases: Array<{ what: string; env: Record<string, string>; stderr: RegExp[]; never?: string }> = [
    {
      what: 'without DISCORD_TOKEN prints how to get one',
      env: { ENCRYPTION_KEY: validKey },
      stderr: [
        /^DISCORD_TOKEN is not set\. To get one:/,
        /https:\/\/discord\.com\/developers\/applications/,
        /Bot → Reset Token/,
        /scopes "bot" and "applications\.commands"/,
      ],
    },
    {
      what: 'with a bad ENCRYPTION_KEY names the variable and how to make one',
      env: { DISCORD_TOKEN: 'MTIz.fake.token', ENCRYPTION_KEY: 'not-a-real-key-0123456789' },
      stderr: [/^Configuration error: ENCRYPTION_KEY must be 32 bytes as base64/, /randomBytes\(32\)/],
      never: 'not-a-real-key-0123456789',
    },
    {
      what: 'without ENCRYPTION_KEY names the variable',
      env: { DISCORD_TOKEN: 'MTIz.fake.token' },
      stderr: [/^Configuration error: ENCRYPTION_KEY is not set/],
    },
  ];

  it.each(cases)('$what and exits non-zero', async ({ env, stderr, never }) => {
    const { exited } = startBotProcess(env, cwd);
    const result = await exited;
    expect(result.code).toBe(1);
    for (const pattern of stderr) expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trim().split('\n').length).toBeLessThan(10);
    expect(result.stdout).toBe('');
    if (never) expect(result.stderr).not.toContain(never);
    expect(result.stderr).not.toContain('MTIz.fake.token');
  });

  it('connects to Discord and on SIGTERM stops gracefully with exit code 0', async () => {
    const discord = await startDiscordDouble({ heartbeatMs: 1000 });
    const panel = await startPanelWingsDouble();
    try {
      const guild = discord.addGuild({ name: 'Gamers' });
      const { child, exited } = startBotProcess(
        {
          DISCORD_TOKEN: discord.botToken,
          DISCORD_API_BASE: discord.apiBase,
          DISCORD_GUILD_ID: guild.id,
          STORE_URL: `sqlite://${path.join(cwd, 'store.sqlite')}`,
          ENCRYPTION_KEY: validKey,
        },
        cwd,
      );
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          output += d.toString('utf8');
          if (output.includes('ptero-bridge is ready')) {
            child.stdout?.off('data', onData);
            resolve();
          }
        };
        child.stdout?.on('data', onData);
        void exited.then((r) => reject(new Error(`the bot exited early (${r.code}): ${r.stderr}${r.stdout}`)));
      });
      expect(discord.registeredCommands(guild.id).length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      const result = await exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('"signal":"SIGTERM"');
      expect(result.stdout).not.toContain(discord.botToken);
      expect(result.stderr).toBe('');
      await discord.waitFor(() => (discord.liveSessions().length === 0 ? true : undefined), 5_000, 'no live session');
    } finally {
      await panel.close();
      await discord.close();
    }
  });
});
