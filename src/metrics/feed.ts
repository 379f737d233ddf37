/**
 * Console feed metrics from the planner's own counters (received, posted inline, attached, dropped, failed requests).
 * They are per feed and a feed is replaced when its binding comes back, so each feed's last seen values are kept and
 * only the growth is added to the process-wide counters.
 */
import type { ConsoleFeed } from '../bridge/console-feed.ts';
import type { FeedCounters } from '../feed/types.ts';
import type { BotMetrics } from './registry.ts';

type Counted = Pick<FeedCounters, 'received' | 'postedInline' | 'postedAttached' | 'dropped' | 'failedRequests'>;

const ZERO: Counted = { received: 0, postedInline: 0, postedAttached: 0, dropped: 0, failedRequests: 0 };

export class FeedTracker {
  private readonly seen = new WeakMap<ConsoleFeed, Counted>();

  constructor(private readonly metrics: BotMetrics) {}

  harvest(feed: ConsoleFeed): void {
    const now = feed.planner.counters;
    const before = this.seen.get(feed) ?? ZERO;
    const lines = this.metrics.feedLines;
    addGrowth(now.received - before.received, (n) => lines.inc({ outcome: 'received' }, n));
    addGrowth(now.postedInline - before.postedInline, (n) => lines.inc({ outcome: 'inline' }, n));
    addGrowth(now.postedAttached - before.postedAttached, (n) => lines.inc({ outcome: 'attached' }, n));
    addGrowth(now.dropped - before.dropped, (n) => lines.inc({ outcome: 'dropped' }, n));
    addGrowth(now.failedRequests - before.failedRequests, (n) => this.metrics.feedFailedRequests.inc(n));
    this.seen.set(feed, {
      received: now.received,
      postedInline: now.postedInline,
      postedAttached: now.postedAttached,
      dropped: now.dropped,
      failedRequests: now.failedRequests,
    });
  }
}

function addGrowth(delta: number, add: (n: number) => void): void {
  if (delta > 0) add(delta);
}
