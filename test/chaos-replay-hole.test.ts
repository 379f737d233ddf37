/**
 * Found by the 30-minute chaos run (seed 20261204: 370 lines shown twice). When the feed's recent tail has a hole — lines
 * Wings replaced by `jwt error` while the socket's token had expired — the next reconnect's `send logs` replay no longer
 * aligns with the tail (src/feed/overlap.ts matchReplay wants the replay's prefix to end with the tail's whole suffix),
 * so the overlap is taken as 0 and all 150 replayed lines are posted again. Reproduced here through the real bot; the
 * alignment now tolerates a hole (src/feed/overlap.ts), and a refresh after an expired token refills the gap at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchReplay } from '../src/feed/overlap.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';

const lines = (tag: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `[INFO]: ${tag} ${String(from + i).padStart(3, '0')}`);

describe('replay after a hole in the tail', () => {
  it('matchReplay: a tail missing 11 lines still aligns with the replay', () => {
    const tail = [...lines('l', 1, 59), ...lines('l', 71, 100)];
    const { fresh } = matchReplay(tail, lines('l', 1, 150));
    // Lines 1–59 and 71–100 were posted already; at most the hole and what came after are new.
    expect(fresh.filter((l) => tail.includes(l))).toEqual([]);
  });

  describe('through the real bot', () => {
    let world: World;
    beforeAll(async () => {
      world = await startWorld({
        panel: { wsTokenPerMinute: 0 },
        connectionOptions: { backoff: { initialMs: 100, maxMs: 300 }, wsTokenLimit: { count: 1000, perMs: 60_000 } },
      });
      await world.startBot();
    });
    afterAll(async () => {
      await world?.close();
    });

    it('lines live before and after an expired-token stretch are not posted twice after a reconnect', async () => {
      const { server, apiKey } = world.addPanelServer('Survival');
      const consoleId = world.guild.channel('console').id;
      await world.bind('Survival', server, apiKey, { console_channel: consoleId });
      await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
      await server.power('start');
      await eventually(() => server.state === 'running', 'running');
      server.emitConsole(lines('before', 1, 40));

      // A 2 s token whose refresh the panel refuses: it expires on the open socket, and Wings replaces output.
      world.panel.setTokenLifetimeSec(2);
      world.panel.faults.dropSockets(server.uuid);
      const authsBefore = world.panel.metrics.authMessages(server.uuid);
      await eventually(() => world.panel.metrics.authMessages(server.uuid) > authsBefore, 'the short-token auth');
      world.panel.faults.panelFailures({ status: 503, count: 1_000_000 });
      const jwtErrors = () => world.panel.metrics.sent(server.uuid).byEvent['jwt error'] ?? 0;
      const errorsBefore = jwtErrors();
      // Stats ticks (every 200 ms) come back as jwt errors once the token has expired.
      await eventually(() => jwtErrors() > errorsBefore, 'the token to expire', 10_000);
      server.emitConsole(lines('hidden', 1, 10));
      // The panel answers again: the bot re-authenticates on the same socket; output flows again.
      const authOk = () => world.panel.metrics.sent(server.uuid).byEvent['auth success'] ?? 0;
      const okBefore = authOk();
      world.panel.setTokenLifetimeSec(600);
      world.panel.faults.panelFailures({ status: 503, count: 0 });
      await eventually(() => authOk() > okBefore, 'the refresh', 15_000);
      server.emitConsole(lines('after', 1, 40));
      const text = () =>
        world.discord
          .messages(consoleId)
          .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
          .join('\n');
      await eventually(() => text().includes('after 040'), 'the after lines in Discord', 15_000);

      // A reconnect: `send logs` replays the last 150 container lines (before…, hidden…, after…). The hidden lines were
      // never shown, so their arrival in Discord says the replay has been handled.
      world.panel.faults.dropSockets(server.uuid);
      await eventually(() => text().includes('hidden 010'), 'the replay in Discord', 15_000);
      const feed = world.bot.feeds.feedOf(world.bot.bridge.liveBindings()[0]!);
      await eventually(() => feed.planner.pendingLines === 0 && !feed.planner.inFlight, 'the feed to settle', 15_000);
      const shown = text();
      for (const line of [...lines('before', 1, 40), ...lines('after', 1, 40)]) {
        expect(shown.split(line).length - 1, line).toBe(1);
      }
    }, 60_000);
  });
});
