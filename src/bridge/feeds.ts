/**
 * Gives every live binding its console feed and takes it away again: one ConsoleFeed per binding, one sender per
 * channel (so two bindings sharing a channel still have one request in flight there), shared rate budgets.
 */
import type { ChannelSenders } from '../discord/channel-sender.ts';
import type { Logger } from '../log.ts';
import type { Bridge, LiveBinding } from './bridge.ts';
import { ConsoleFeed, type ConsoleFeedOptions } from './console-feed.ts';

export type FeedTuning = Pick<ConsoleFeedOptions, 'pausedRetryMs' | 'replayFirstLineMs' | 'replayQuietMs' | 'planner'>;

export class FeedManager {
  private readonly feeds = new Map<string, ConsoleFeed>();

  constructor(
    bridge: Bridge,
    private readonly senders: ChannelSenders,
    private readonly options: { ansi: boolean; logger: Logger; tuning?: FeedTuning },
  ) {
    bridge.on('activated', (live) => this.open(live));
    bridge.on('deactivated', (live) => this.closeFeed(live.binding.id));
    bridge.on('action', (live, record) => this.feeds.get(live.binding.id)?.audit(record, record.actorName));
    bridge.addDescriber((live) => this.feeds.get(live.binding.id)?.describe());
    bridge.setReplaySource((live) => this.feedOf(live).captureReplay());
  }

  feedOf(live: LiveBinding): ConsoleFeed {
    const feed = this.feeds.get(live.binding.id);
    if (!feed) throw new Error(`no feed for binding ${live.binding.id}`);
    return feed;
  }

  /** A channel's settings changed: feeds paused on it probe at once. */
  channelChanged(channelId: string): void {
    for (const feed of this.feeds.values()) if (feed.binding.consoleChannelId === channelId) feed.channelChanged();
  }

  /**
   * Posts what is pending in every feed (shutdown), within the time given: first the lines Wings has already sent
   * (still in the socket), then the queue.
   */
  async flushAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      [...this.feeds.values()].map(async (feed) => {
        await feed.catchUp(Math.min(1_000, timeoutMs));
        await feed.flush(Math.max(0, deadline - Date.now()));
      }),
    );
  }

  private open(live: LiveBinding): void {
    this.closeFeed(live.binding.id);
    const feed = new ConsoleFeed({
      live,
      sender: this.senders.get(live.binding.consoleChannelId),
      budgets: this.senders.budgets,
      ansi: this.options.ansi,
      logger: this.options.logger,
      ...this.options.tuning,
    });
    this.feeds.set(live.binding.id, feed);
  }

  private closeFeed(bindingId: string): void {
    const feed = this.feeds.get(bindingId);
    if (!feed) return;
    this.feeds.delete(bindingId);
    feed.close();
  }
}
