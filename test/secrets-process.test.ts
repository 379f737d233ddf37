/**
 * Secret hygiene of the real process (§5): `node --import tsx src/index.ts` at LOG_LEVEL=trace against both doubles,
 * driven through binding, power, console commands, a refused key, token refreshes and a Wings restart, then stopped with
 * SIGTERM in the middle of a console burst and a /restart; and a second start that dies on an unusable store. Everything
 * it wrote (stdout, stderr), its /metrics page, everything Discord shows and the SQLite file's bytes are searched for every secret planted:
 * bot token, API keys, ENCRYPTION_KEY (hex, base64, base64url) and each JWT the panel minted for it (recorded by a
 * proxy in front of the panel), plus anything shaped like a JWT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JwtProxy, startJwtProxy } from '../chaos/jwt-proxy.ts';
import { encryptionKeySecrets, findInText, type Secret } from '../chaos/secrets.ts';
import { waitFor } from '../chaos/wait.ts';
import { type InteractionHandle, startDiscordDouble } from './doubles/discord/index.ts';
import { startPanelWingsDouble } from './doubles/panel-wings/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startBotProcess(env: Record<string, string>, cwd: string): Running {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repo, 'src', 'index.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => child.on('close', () => resolve({ code, signal })));
  });
  return { child, output: () => Buffer.concat(chunks).toString('latin1'), exited };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const reply = (h: InteractionHandle, what: string, match: (t: string) => boolean = () => true) =>
  waitFor(
    () => {
      const t = h.final()?.content;
      return t && match(t) ? t : undefined;
    },
    what,
    15_000,
  );

describe('secret hygiene of the real process', () => {
  let cwd: string;
  let discord: Awaited<ReturnType<typeof startDiscordDouble>>;
  let panel: Awaited<ReturnType<typeof startPanelWingsDouble>>;
  let proxy: JwtProxy;
  const encryptionKey = randomBytes(32);
  const secrets: Secret[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'ptero-secrets-'));
    discord = await startDiscordDouble({ heartbeatMs: 1000 });
    // The bot reaches the panel through the recording proxy, so the Origin it sends is the proxy's.
    panel = await startPanelWingsDouble({ statsIntervalMs: 500, allowedOrigins: ['*'] });
    proxy = await startJwtProxy(panel.panelUrl);
    secrets.push({ label: 'bot token', value: discord.botToken }, ...encryptionKeySecrets(encryptionKey));
  });
  afterAll(async () => {
    await proxy?.close();
    await panel?.close();
    await discord?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('never writes a secret: live run, refused key, a refresh, Wings restart, SIGTERM mid-burst', async () => {
    const guild = discord.addGuild({ name: 'Gamers', channels: ['general', 'console'] });
    const admin = discord.addMember(guild.id, { username: 'alice-admin', permissions: ['ManageGuild'] });
    const server = panel.addServer({ name: 'Survival' });
    const apiKey = panel.addApiKey({ servers: { [server.identifier]: ['*'] } });
    const wrongKey = `ptlc_${randomBytes(32).toString('hex').slice(0, 43)}`;
    secrets.push({ label: 'API key', value: apiKey }, { label: 'wrong API key', value: wrongKey });
    const storePath = path.join(cwd, 'store.sqlite');
    const metricsPort = await freePort();
    const bot = startBotProcess(
      {
        DISCORD_TOKEN: discord.botToken,
        DISCORD_API_BASE: discord.apiBase,
        DISCORD_GUILD_ID: guild.id,
        STORE_URL: `sqlite://${storePath}`,
        ENCRYPTION_KEY: encryptionKey.toString('hex'),
        LOG_LEVEL: 'trace',
        CMD_OUTPUT_WINDOW_MS: '200',
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
      },
      cwd,
    );
    await waitFor(() => bot.output().includes('ptero-bridge is ready'), 'the bot to be ready', 30_000);

    const general = guild.channel('general').id;
    const invoke = (name: string, options: Record<string, string | number> = {}, subcommand?: string) =>
      discord.invokeCommand({
        guildId: guild.id,
        channelId: general,
        member: admin,
        name,
        options,
        ...(subcommand ? { subcommand } : {}),
      });
    const add = (key: string) =>
      invoke(
        'server',
        {
          name: 'Survival',
          panel_url: proxy.url,
          server_id: server.identifier,
          api_key: key,
          console_channel: guild.channel('console').id,
        },
        'add',
      );
    expect(await reply(add(wrongKey), 'the refused key')).toMatch(/did not accept the API key/);
    expect(await reply(add(apiKey), 'the binding')).toMatch(/^Bound/);
    await waitFor(() => panel.metrics.openSockets(server.uuid) === 1 || undefined, 'the socket', 15_000);
    expect(await reply(invoke('start'), '/start', (t) => t.includes('✅'))).toMatch(/running/);
    server.emitConsole(['[INFO]: hello', `[INFO]: a player typed ${'x'.repeat(50)}`]);
    expect(await reply(invoke('cmd', { command: 'say hi' }), '/cmd')).toMatch(/^Sent/);
    const stats = invoke('stats');
    await waitFor(() => (stats.final()?.embeds.length ?? 0) > 0 || undefined, '/stats', 15_000);
    await reply(invoke('logs', { lines: 5 }), '/logs');

    // Short tokens force refreshes on the open socket; a Wings restart denylists them all and forces a reconnect.
    panel.setTokenLifetimeSec(4);
    const minted = proxy.tokens.length;
    panel.faults.dropSockets(server.uuid);
    await waitFor(() => proxy.tokens.length >= minted + 2 || undefined, 'a reconnect and a refresh', 20_000);
    panel.setTokenLifetimeSec(600);
    panel.faults.restartWings();
    const before = proxy.tokens.length;
    await waitFor(() => proxy.tokens.length > before || undefined, 'a token after the Wings restart', 20_000);
    await waitFor(() => panel.metrics.openSockets(server.uuid) === 1 || undefined, 'the socket again', 20_000);

    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^# (HELP|TYPE) /m);

    // SIGTERM while a burst is being posted and a /restart is being followed.
    server.emitConsole(Array.from({ length: 3000 }, (_, i) => `[INFO]: burst line ${i}`));
    invoke('restart');
    bot.child.kill('SIGTERM');
    const exit = await bot.exited;
    expect(exit).toEqual({ code: 0, signal: null });

    const output = bot.output();
    expect(output).toContain('"level":20'); // verbose levels reached the output (nothing logs at trace yet)
    for (const token of proxy.tokens) secrets.push({ label: `JWT ${token.slice(-6)}`, value: token });
    expect(proxy.tokens.length).toBeGreaterThanOrEqual(4);
    // The search can fail: a planted secret in a text is found, by name and by JWT shape.
    expect(findInText(`…${proxy.tokens[0]}…`, secrets, 'a control text')).toHaveLength(2);
    const said = [...discord.world.messages.values()]
      .flatMap((m) => [m.content, JSON.stringify(m.embeds), ...m.attachments.map((a) => a.content.toString('latin1'))])
      .concat([...discord.interactions.byId.values()].flatMap((h) => h.responses.map((r) => JSON.stringify(r.body))))
      .join('\n');
    const store = (await readFile(storePath)).toString('latin1');
    expect(store).toContain('Survival'); // the file is the one the bot used
    expect([
      ...findInText(output, secrets, 'the process output'),
      ...findInText(said, secrets, 'Discord'),
      ...findInText(metrics, secrets, '/metrics'),
      ...findInText(store, secrets, 'the SQLite file'),
    ]).toEqual([]);
  }, 120_000);

  it('a start that dies on an unusable store prints the reason, and no secret', async () => {
    const notADirectory = path.join(cwd, 'plain-file');
    await writeFile(notADirectory, 'not a directory');
    const bot = startBotProcess(
      {
        DISCORD_TOKEN: discord.botToken,
        DISCORD_API_BASE: discord.apiBase,
        STORE_URL: `sqlite://${notADirectory}/store.sqlite`,
        ENCRYPTION_KEY: encryptionKey.toString('base64'),
        LOG_LEVEL: 'trace',
      },
      cwd,
    );
    const exit = await bot.exited;
    expect(exit.code).toBe(1);
    const output = bot.output();
    expect(output).toMatch(/"level":60/); // the fatal line is there
    expect(findInText(output, secrets, 'the crash output')).toEqual([]);
  }, 60_000);
});
