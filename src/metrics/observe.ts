/**
 * Attaches the metrics to a running bot (or one about to start): REST events, command results, Wings connections and
 * feed counters. Everything is read from what the bot already exposes; attaching late still counts what the live
 * connections and feeds have done so far.
 */
import { Status } from 'discord.js';
import type { Bot } from '../app.ts';
import type { LiveBinding } from '../bridge/bridge.ts';
import type { ConsoleFeed } from '../bridge/console-feed.ts';
import { countCommands, observeRest } from './discord.ts';
import { FeedTracker } from './feed.ts';
import type { BotMetrics } from './registry.ts';
import { WingsTracker } from './wings.ts';

export type ObservedBot = Pick<Bot, 'client' | 'bridge' | 'feeds' | 'router'>;

/** True while discord.js has a ready session on every gateway shard this process runs. */
export function gatewayReady(client: Bot['client']): boolean {
  if (!client.isReady()) return false;
  for (const shard of client.ws.shards.values()) if (shard.status !== Status.Ready) return false;
  return true;
}

export function observeBot(metrics: BotMetrics, bot: ObservedBot): () => void {
  const wings = new WingsTracker(metrics);
  const feeds = new FeedTracker(metrics);
  const feedOf = (live: LiveBinding): ConsoleFeed | undefined => {
    try {
      return bot.feeds.feedOf(live);
    } catch {
      return undefined; // not opened yet, or already closed
    }
  };
  // Prepended so they run before the feed manager replaces or closes the binding's feed: its last counts are read.
  const beforeFeedChange = (live: LiveBinding) => {
    const feed = feedOf(live);
    if (feed) feeds.harvest(feed);
  };
  const onActivated = (live: LiveBinding) => {
    beforeFeedChange(live);
    wings.track(live.connection);
  };
  bot.bridge.prependListener('activated', onActivated);
  bot.bridge.prependListener('deactivated', beforeFeedChange);
  const detachRest = observeRest(bot.client.rest, metrics);
  const detachCommands = countCommands(bot.router, metrics);
  const removeCollector = metrics.addCollector(() => {
    const live = bot.bridge.liveBindings();
    for (const binding of live) {
      const feed = feedOf(binding);
      if (feed) feeds.harvest(feed);
    }
    wings.sample(live.map((l) => l.connection));
    metrics.gatewayReady.set(gatewayReady(bot.client) ? 1 : 0);
    metrics.guilds.set(bot.client.guilds.cache.size);
    metrics.bindings.set(live.length);
  });
  return () => {
    bot.bridge.off('activated', onActivated);
    bot.bridge.off('deactivated', beforeFeedChange);
    detachRest();
    detachCommands();
    removeCollector();
    wings.detachAll();
  };
}
