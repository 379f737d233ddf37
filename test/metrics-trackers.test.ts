/**
 * The counting rules behind the Wings and feed metrics, on stand-ins exposing the same read-only surface
 * (WingsConnection: state events, socketsOpened, refreshes that restart per socket; ConsoleFeed: planner.counters).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ConsoleFeed } from '../src/bridge/console-feed.ts';
import type { FeedCounters } from '../src/feed/types.ts';
import { FeedTracker } from '../src/metrics/feed.ts';
import { BotMetrics } from '../src/metrics/registry.ts';
import { WingsTracker } from '../src/metrics/wings.ts';
import type { ConnectionState, WingsConnection } from '../src/wings/connection.ts';

class FakeConnection extends EventEmitter {
  socketsOpened = 0;
  refreshes = 0;
  connectionState: ConnectionState = { kind: 'idle' };
  to(state: ConnectionState): void {
    this.connectionState = state;
    this.emit('state', state);
  }
  /** A new socket: one more opened, its refresh count starts at 0. */
  newSocket(): void {
    this.socketsOpened += 1;
    this.refreshes = 0;
    this.to({ kind: 'ready', since: Date.now() });
  }
}
const asConnection = (c: FakeConnection) => c as unknown as WingsConnection;

async function value(metrics: BotMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const json = await metrics.json();
  const metric = json.find((m) => m.name === name);
  const entry = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return entry?.value ?? Number.NaN;
}

describe('WingsTracker', () => {
  it('counts refreshes across sockets even though each socket restarts its count', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const tracker = new WingsTracker(metrics);
    const c = new FakeConnection();
    tracker.track(asConnection(c));
    c.to({ kind: 'connecting', attempt: 1 });
    c.newSocket();
    c.refreshes = 3; // three refreshes on the first socket, not yet sampled
    c.to({ kind: 'retrying', attempt: 1, nextAttemptAt: 0, reason: 'socket closed' }); // read before the reset
    c.to({ kind: 'connecting', attempt: 1 });
    c.newSocket();
    c.refreshes = 2;
    tracker.sample([asConnection(c)]);
    expect(await value(metrics, 'ptero_bridge_wings_token_refreshes_total')).toBe(5);
    expect(await value(metrics, 'ptero_bridge_wings_reconnects_total')).toBe(1);
    tracker.sample([asConnection(c)]);
    expect(await value(metrics, 'ptero_bridge_wings_token_refreshes_total')).toBe(5);
  });

  it('counts a shared connection once, by state, and forgets it after its last count', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const tracker = new WingsTracker(metrics);
    const shared = new FakeConnection();
    const other = new FakeConnection();
    shared.newSocket();
    other.to({ kind: 'retrying', attempt: 2, nextAttemptAt: 0, reason: 'panel unreachable' });
    tracker.sample([asConnection(shared), asConnection(shared), asConnection(other)]);
    expect(await value(metrics, 'ptero_bridge_wings_connections', { state: 'ready' })).toBe(1);
    expect(await value(metrics, 'ptero_bridge_wings_connections', { state: 'retrying' })).toBe(1);
    expect(await value(metrics, 'ptero_bridge_wings_connections', { state: 'stopped' })).toBe(0);
    shared.newSocket(); // reconnected, then released before the next sample
    tracker.sample([asConnection(other)]);
    expect(await value(metrics, 'ptero_bridge_wings_reconnects_total')).toBe(1);
    expect(await value(metrics, 'ptero_bridge_wings_connections', { state: 'ready' })).toBe(0);
    expect(shared.listenerCount('state')).toBe(0);
    expect(other.listenerCount('state')).toBe(1);
  });
});

describe('FeedTracker', () => {
  const feedWith = (counters: Partial<FeedCounters>) => {
    const full: FeedCounters = {
      received: 0,
      postedInline: 0,
      postedAttached: 0,
      dropped: 0,
      throttleNotices: 0,
      statusLines: 0,
      failedRequests: 0,
      ...counters,
    };
    return { planner: { counters: full } } as unknown as ConsoleFeed & { planner: { counters: FeedCounters } };
  };

  it('adds only the growth of each feed, and keeps counting across feeds', async () => {
    const metrics = new BotMetrics({ processMetrics: false });
    const tracker = new FeedTracker(metrics);
    const a = feedWith({ received: 10, postedInline: 8, postedAttached: 0, dropped: 2 });
    tracker.harvest(a);
    tracker.harvest(a);
    a.planner.counters.received = 15;
    a.planner.counters.postedAttached = 5;
    a.planner.counters.failedRequests = 1;
    tracker.harvest(a);
    tracker.harvest(feedWith({ received: 4, postedInline: 4 })); // the binding's next feed starts at 0
    expect(await value(metrics, 'ptero_bridge_feed_lines_total', { outcome: 'received' })).toBe(19);
    expect(await value(metrics, 'ptero_bridge_feed_lines_total', { outcome: 'inline' })).toBe(12);
    expect(await value(metrics, 'ptero_bridge_feed_lines_total', { outcome: 'attached' })).toBe(5);
    expect(await value(metrics, 'ptero_bridge_feed_lines_total', { outcome: 'dropped' })).toBe(2);
    expect(await value(metrics, 'ptero_bridge_feed_failed_requests_total')).toBe(1);
  });
});
