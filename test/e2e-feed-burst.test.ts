import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';

const BURST = 20_000;

/** Every `burst N` number in a text, for accounting each produced line exactly once. */
function burstNumbers(text: string): number[] {
  return [...text.matchAll(/burst (\d{5})\b/g)].map((m) => Number(m[1]));
}

describe('a 20,000-line burst', () => {
  let world: World;

  beforeAll(async () => {
    // Wings' own throttle is lifted so the whole burst reaches the bot (the test is about the bot's side).
    world = await startWorld({ panel: { consoleThrottle: { lines: 1_000_000, intervalMs: 100 } } });
    await world.startBot();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is fully accounted: inline + attached = received, within limits, no 429 left unhandled', async () => {
    const { server, apiKey } = world.addPanelServer('Survival');
    const consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, apiKey, { console_channel: consoleId });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');
    const live = world.bot.bridge.liveBindings()[0]!;
    const feed = world.bot.feeds.feedOf(live);
    const receivedBefore = feed.planner.counters.received;

    const lines = Array.from(
      { length: BURST },
      (_, i) =>
        `\u001b[32m[12:00:00 INFO]: burst ${String(i).padStart(5, '0')} Preparing spawn area: ${i % 100}%\u001b[0m`,
    );
    for (let i = 0; i < BURST; i += 1000) server.emitConsole(lines.slice(i, i + 1000));

    try {
      await eventually(
        () =>
          // ≥: the game's own start-up lines may still be arriving when receivedBefore is read; every burst line is
          // accounted one by one below.
          feed.planner.counters.received - receivedBefore >= BURST &&
          feed.planner.pendingLines === 0 &&
          !feed.planner.inFlight,
        'the burst to be posted',
        60_000,
      );
    } catch (error) {
      // Say where it stood: a stall and a slow machine look alike from the outside.
      const state = {
        counters: feed.planner.counters,
        pending: feed.planner.pendingLines,
        inFlight: feed.planner.inFlight,
      };
      throw new Error(`${(error as Error).message}: ${JSON.stringify(state)} paused=${feed.paused ?? 'no'}`);
    }
    const c = feed.planner.counters;
    expect(c.dropped).toBe(0);
    expect(c.postedInline + c.postedAttached).toBe(c.received);
    expect(c.postedAttached).toBeGreaterThan(0);
    expect(c.failedRequests).toBe(0);

    const messages = world.discord.messages(consoleId);
    const seen = new Map<number, number>();
    for (const m of messages) {
      expect(m.content.length).toBeLessThanOrEqual(2000);
      expect(m.pinged).toEqual({ everyone: false, users: [], roles: [] });
      const texts = [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))];
      for (const n of texts.flatMap(burstNumbers)) seen.set(n, (seen.get(n) ?? 0) + 1);
      for (const a of m.attachments) {
        expect(a.filename).toMatch(/\.log$/);
        expect(a.size).toBeLessThanOrEqual(10 * 1024 * 1024);
        expect(a.content.toString('utf8')).not.toContain('\u001b');
      }
    }
    const missing = lines.map((_, i) => i).filter((i) => !seen.has(i));
    const twice = [...seen].filter(([, count]) => count > 1).map(([n]) => n);
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
    const summary = messages.find((m) => m.attachments.length > 0)?.content ?? '';
    expect(summary).toMatch(/lines, .* attached/);
    expect(world.discord.metrics.rateLimited).toBe(0);
  }, 120_000);
});
