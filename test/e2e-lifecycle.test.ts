/**
 * The bot's life end to end: interactions deferred in time while the panel is slow, a graceful stop while a /start is
 * being followed, data surviving a restart on the same SQLite file, an unexpected error becoming a reference the
 * operator can find in the logs, and a malformed command module refused at start.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { CommandLoadError } from '../src/discord/loader.ts';
import { createLogger } from '../src/log.ts';
import { eventually, LogCapture, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, findSecrets, replyText, run } from './e2e/helpers.ts';

/** A chat-input command definition as a module exports it, without importing discord.js (the folder is temporary). */
function commandModule(name: string, body: string): string {
  const json = JSON.stringify({ name, description: `Test command ${name}`, type: 1, contexts: [0] });
  return `export const data = { name: ${JSON.stringify(name)}, toJSON: () => (${json}) };\n${body}\n`;
}

describe('the bot’s life end to end', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let apiKey: string;
  const tempDirs: string[] = [];

  const tempDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ptero-e2e-commands-'));
    tempDirs.push(dir);
    return dir;
  };
  const errorLines = () => world.logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    // Never prints its done line: a /start stays "starting" until the bot stops following it.
    server = world.panel.addServer({ name: 'Slowpoke', doneLine: null });
    apiKey = world.panel.addApiKey({ servers: { [server.identifier]: ['*'] } });
  });
  afterAll(async () => {
    await world?.close();
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  });

  it('an interaction arriving while the panel is slow is acknowledged within the deadline', async () => {
    // Two panel calls (server details, websocket credentials) at 1.7 s each: the answer needs longer than 3 s.
    world.panel.faults.panelDelay(1_700);
    try {
      const handle = run(world, {
        name: 'server',
        subcommand: 'add',
        options: { name: 'Slowpoke', panel_url: world.panel.panelUrl, server_id: server.identifier, api_key: apiKey },
      });
      const text = await replyText(handle, () => true, 15_000);
      expect(text).toMatch(/^Bound \*\*Slowpoke\*\*/);
      expect(handle.deadlineMet).toBe(true);
      const answeredAfter = (handle.responses.at(-1)?.at ?? 0) - handle.createdAt;
      expect(answeredAfter).toBeGreaterThan(3_000);
    } finally {
      world.panel.faults.panelDelay(0);
    }
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the Wings socket', 15_000);
  });

  it('a graceful stop while /start is being followed ends that reply and exits cleanly', async () => {
    const handle = run(world, { name: 'start' });
    await replyText(handle, (t) => t.includes('starting'));
    expect(server.state).toBe('starting');
    await world.stopBot();
    expect(handle.final()?.content).toBe(
      '**Slowpoke**: starting — the bot is shutting down; watch the console channel for the outcome',
    );
    expect(world.panel.metrics.openSockets(server.uuid)).toBe(0);
    expect(errorLines()).toEqual([]);
  });

  it('the binding survives a restart on the same SQLite file and its socket reconnects', async () => {
    const tokensBefore = world.panel.metrics.wsTokenRequests(server.identifier);
    await world.startBot();
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket to reconnect');
    expect(world.panel.metrics.wsTokenRequests(server.identifier)).toBeGreaterThan(tokensBefore);
    const records = await world.bot.store.bindings.listByGuild(world.guild.id);
    expect(records.map((r) => (r.ok ? { name: r.binding.name, key: r.binding.apiKey } : r.error))).toEqual([
      { name: 'Slowpoke', key: apiKey },
    ]);
    const handle = run(world, { name: 'stats', member: world.member });
    const embed = await eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, 'the stats embed');
    expect(embed.title).toBe('Slowpoke');
    expect(embed.fields?.find((f) => f.name === 'State')?.value).toMatch(/starting/);
  });

  it('an unexpected error becomes "Something went wrong (ref …)" with the same ref in the logs', async () => {
    const dir = await tempDir();
    await writeFile(
      path.join(dir, 'boom.ts'),
      commandModule('boom', `export async function execute() { throw new Error('kaboom at ${dir}'); }`),
    );
    await world.stopBot();
    await world.startBot({ commandsDir: dir });
    expect(world.discord.registeredCommands(world.guild.id).map((c: { name: string }) => c.name)).toEqual(['boom']);
    const handle = run(world, { name: 'boom', member: world.member });
    const text = await replyText(handle);
    const ref =
      /^Something went wrong \(ref ([0-9A-F]{6})\)\. The error is logged; please tell the bot's operator\.$/.exec(
        text,
      )?.[1];
    expect(ref, text).toBeDefined();
    expect(handle.ephemeral).toBe(true);
    expect(text).not.toContain('kaboom');
    const logged = world.logs.lines
      .map((l) => JSON.parse(l) as { ref?: string; level: number; err?: { message?: string } })
      .filter((l) => l.ref === ref);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.level).toBe(50);
    expect(logged[0]?.err?.message).toContain('kaboom');
  });

  it('a malformed command module is refused at start, naming the file', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'fine.ts'), commandModule('fine', 'export async function execute() {}'));
    await writeFile(path.join(dir, 'broken.ts'), commandModule('broken', 'export const execute = 42;'));
    const logs = new LogCapture();
    const attempt = createBot({
      config: loadConfig(world.env),
      logger: createLogger({ level: 'info', destination: logs }),
      commandsDir: dir,
    });
    await expect(attempt).rejects.toThrow(CommandLoadError);
    await expect(attempt).rejects.toThrow(
      'command module broken.ts must export an `execute(interaction, ctx)` function',
    );
  });

  it('after a restart with another ENCRYPTION_KEY the binding is reported unusable, not lost or leaked', async () => {
    await world.stopBot();
    world.env.ENCRYPTION_KEY = randomBytes(32).toString('hex');
    await world.startBot();
    expect(world.bot.bridge.liveBindings()).toEqual([]);
    expect(world.panel.metrics.openSockets(server.uuid)).toBe(0);

    const list = run(world, { name: 'server', subcommand: 'list' });
    const embed = await eventually(() => list.final()?.embeds?.[0] as APIEmbed | undefined, 'the list embed');
    expect(embed.fields?.map((f) => f.name)).toEqual(['⚠️ Slowpoke']);
    // Markdown-escaped in the embed, so it reads ENCRYPTION_KEY in Discord.
    expect(embed.fields?.[0]?.value).toMatch(/different ENCRYPTION\\_KEY/);

    const start = await replyText(run(world, { name: 'start' }));
    expect(start).toMatch(/^The binding “Slowpoke” cannot be used: .*ENCRYPTION_KEY/);
    expect(actionFrames(world, server.uuid).filter((f) => f.args[0] === 'start')).toHaveLength(1);

    const removed = await replyText(
      run(world, { name: 'server', subcommand: 'remove', options: { server: 'Slowpoke' } }),
    );
    expect(removed).toMatch(/^Unbound \*\*Slowpoke\*\*/);
    expect(await world.bot.store.bindings.listByGuild(world.guild.id)).toEqual([]);
  });

  it('no reply or log line contains the API key, the bot token or a JWT', () => {
    expect(findSecrets(world, [apiKey, world.discord.botToken])).toEqual([]);
  });
});
