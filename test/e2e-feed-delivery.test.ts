/**
 * How the feed's requests reach the console channel: one at a time even when two bindings share the channel, a new
 * line appended by editing a small message (and a new message when a moderator deleted it), and what is pending
 * posted before the bot stops.
 */
import type { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';

interface Span {
  method: string;
  path: string;
  start: number;
  end: number;
}

/** Records when each REST call of the bot starts and settles (wrapping the client's own REST instance). */
function recordRest(rest: REST): Span[] {
  const spans: Span[] = [];
  for (const method of ['post', 'patch'] as const) {
    const original = rest[method].bind(rest);
    rest[method] = (async (route: `/${string}`, options?: object) => {
      const span = { method, path: route, start: performance.now(), end: Number.POSITIVE_INFINITY };
      spans.push(span);
      try {
        return await original(route, options);
      } finally {
        span.end = performance.now();
      }
    }) as REST[typeof method];
  }
  return spans;
}

describe('feed delivery', () => {
  let world: World;
  let consoleId: string;
  let spans: Span[];
  const servers: Array<ReturnType<World['addPanelServer']>['server']> = [];

  beforeAll(async () => {
    world = await startWorld({
      discord: {
        rateLimits: { messageCreate: { limit: 5, windowMs: 1000 }, messageEdit: { limit: 5, windowMs: 1000 } },
      },
    });
    await world.startBot();
    spans = recordRest(world.bot.client.rest);
    consoleId = world.guild.channel('console').id;
    for (const name of ['Survival', 'Creative']) {
      const { server, apiKey } = world.addPanelServer(name);
      await world.bind(name, server, apiKey, { console_channel: consoleId });
      await eventually(
        () => world.bot.bridge.liveBindings().find((l) => l.binding.name === name)?.connection.serverState,
        `the ${name} socket`,
      );
      await server.power('start');
      servers.push(server);
    }
    await eventually(
      () => world.discord.messages(consoleId).filter((m) => m.content.includes(' is running')).length === 2,
      'both running lines',
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  const feedText = () =>
    world.discord
      .messages(consoleId)
      .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
      .join('\n');
  const feeds = () => world.bot.bridge.liveBindings().map((l) => world.bot.feeds.feedOf(l));
  const settled = () => feeds().every((f) => f.planner.pendingLines === 0 && !f.planner.inFlight);

  it('keeps one request in flight in a channel two bindings share, while both flood it', async () => {
    const before = spans.length;
    for (let round = 0; round < 10; round++) {
      for (const [i, server] of servers.entries()) {
        server.emitConsole(Array.from({ length: 40 }, (_, n) => `flood ${i}-${round}-${n} ${'#'.repeat(70)}`));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(settled, 'both floods posted', 20_000);
    const inChannel = spans.slice(before).filter((s) => s.path.startsWith(`/channels/${consoleId}/`));
    expect(inChannel.length).toBeGreaterThan(5);
    inChannel.sort((a, b) => a.start - b.start);
    const overlaps = inChannel.filter((s, i) => i > 0 && s.start < inChannel[i - 1]!.end);
    console.info(`shared channel: ${inChannel.length} requests, ${overlaps.length} overlapping`);
    expect(overlaps).toEqual([]);
    const text = feedText();
    for (let i = 0; i < 2; i++) {
      for (let round = 0; round < 10; round++) {
        for (let n = 0; n < 40; n++) expect(text).toContain(`flood ${i}-${round}-${n} `);
      }
    }
  });

  it('appends a line to a small message by editing it, and posts anew when that message was deleted', async () => {
    const [server] = servers;
    server!.emitConsole('first small line');
    const first = await eventually(
      () => world.discord.messages(consoleId).find((m) => m.content.includes('first small line')),
      'the first line',
    );
    const patches = () =>
      world.discord.metrics.requestLog.filter(
        (r) => r.method === 'PATCH' && r.path === `/channels/${consoleId}/messages/${first.id}`,
      );
    const before = patches().length;
    server!.emitConsole('second small line');
    await eventually(() => world.discord.message(first.id)?.content.includes('second small line'), 'the edit');
    expect(patches().length).toBe(before + 1);
    expect(world.discord.message(first.id)!.content).toMatch(/first small line\n.*second small line/s);

    world.discord.deleteMessage(first.id);
    server!.emitConsole('third small line');
    const third = await eventually(
      () => world.discord.messages(consoleId).find((m) => m.content.includes('third small line')),
      'the third line in a new message',
    );
    expect(third.id).not.toBe(first.id);
    await eventually(settled, 'the feed to settle');
    expect(patches().at(-1)?.status).toBe(404);
    expect(feedText().split('third small line')).toHaveLength(2);
  });

  it('posts what is pending before the bot stops', async () => {
    const [server] = servers;
    const lines = Array.from({ length: 30 }, (_, n) => `last words ${n}`);
    server!.emitConsole(lines);
    await world.stopBot();
    const text = feedText();
    const missing = lines.filter((l) => !text.includes(`${l}\n`) && !text.endsWith(l));
    expect(missing).toEqual([]);
  });
});
