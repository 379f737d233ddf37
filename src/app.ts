/**
 * The composition root: builds every service from the configuration, wires them together, and owns start and
 * shutdown. `src/index.ts` runs it as a process; the end-to-end tests run it in-process against the doubles.
 */
import { Events } from 'discord.js';
import { Bridge } from './bridge/bridge.ts';
import { FeedManager, type FeedTuning } from './bridge/feeds.ts';
import { PowerPanels } from './bridge/power-panels.ts';
import type { Config } from './config.ts';
import { ChannelSenders } from './discord/channel-sender.ts';
import { createDiscordClient } from './discord/client.ts';
import type { BotServices, CommandModule } from './discord/command.ts';
import { registerIfChanged } from './discord/deploy.ts';
import { defaultCommandsDir, loadCommands } from './discord/loader.ts';
import { InteractionRouter } from './discord/router.ts';
import type { Logger } from './log.ts';
import { openStore, type Store } from './store/index.ts';
import { type HubConnectionOptions, WingsHub } from './wings/hub.ts';

export interface BotOptions {
  config: Config;
  logger: Logger;
  commandsDir?: string;
  /** Store key namespace (tests isolate runs on a shared Redis/PostgreSQL). */
  storeNamespace?: string;
  /** Wings connection tuning (tests scale protocol timings down). */
  connectionOptions?: HubConnectionOptions;
  /** Feed timings (tests shorten the replay window and the refused-channel pause). */
  feedTuning?: FeedTuning;
}

export interface Bot {
  readonly client: ReturnType<typeof createDiscordClient>;
  readonly bridge: Bridge;
  readonly store: Store;
  readonly hub: WingsHub;
  readonly commands: Map<string, CommandModule>;
  readonly feeds: FeedManager;
  readonly router: InteractionRouter;
  /** Resolves once the gateway is ready and the bindings of the guilds this process serves are live. */
  start(): Promise<void>;
  /** Graceful: stop taking interactions, finish replies in flight, close sockets and the store, destroy the client. */
  stop(): Promise<void>;
}

export async function createBot(options: BotOptions): Promise<Bot> {
  const { config, logger } = options;
  const commands = await loadCommands(options.commandsDir ?? defaultCommandsDir());
  const store = await openStore({
    url: config.STORE_URL,
    encryptionKey: config.ENCRYPTION_KEY,
    logger,
    ...(options.storeNamespace ? { namespace: options.storeNamespace } : {}),
  });
  const hub = new WingsHub({
    logger: logger.child({ module: 'wings' }),
    ...(options.connectionOptions ? { connectionOptions: options.connectionOptions } : {}),
  });
  const bridge = new Bridge(store, hub, logger.child({ module: 'bridge' }));
  const client = createDiscordClient(config);
  const senders = new ChannelSenders(client.rest);
  const feeds = new FeedManager(bridge, senders, {
    ansi: config.FEED_ANSI,
    logger: logger.child({ module: 'feed' }),
    ...(options.feedTuning ? { tuning: options.feedTuning } : {}),
  });
  const shutdown = new AbortController();
  const panels = new PowerPanels(bridge, senders, logger.child({ module: 'panel' }));
  const services: BotServices = { config, logger, bridge, panels, shutdownSignal: shutdown.signal };
  const router = new InteractionRouter(commands, services);

  client.on(Events.InteractionCreate, (interaction) => {
    void router.handle(interaction);
  });
  client.on(Events.GuildCreate, (guild) => {
    bridge
      .activateGuild(guild.id)
      .catch((err: unknown) => logger.error({ err, guild: guild.id }, 'guild activation failed'));
  });
  client.on(Events.GuildDelete, (guild) => {
    // The bot left or was removed (an outage emits guildUnavailable instead, and keeps the sockets). Commands of that
    // guild still in flight then open nothing; GUILD_CREATE (joining again) lifts that.
    bridge
      .leaveGuild(guild.id)
      .catch((err: unknown) => logger.error({ err, guild: guild.id }, 'guild deactivation failed'));
  });
  // A fixed console channel (permissions granted back) resumes its feed now, not at the next probe.
  client.on(Events.ChannelUpdate, (_old, channel) => feeds.channelChanged(channel.id));
  client.on(Events.GuildRoleUpdate, (_old, role) => {
    for (const channelId of role.guild.channels.cache.keys()) feeds.channelChanged(channelId);
  });
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.ShardDisconnect, (event, shard) => logger.warn({ code: event.code, shard }, 'gateway disconnected'));
  client.rest.on('rateLimited', (info) =>
    logger.debug(
      { route: info.route, retryAfter: info.retryAfter, global: info.global, scope: info.scope },
      'discord rate limit',
    ),
  );

  let stopped = false;
  return {
    client,
    bridge,
    store,
    hub,
    commands,
    feeds,
    router,
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(config.DISCORD_TOKEN);
      await ready;
      const applicationId = client.application?.id ?? client.user?.id;
      // Under sharding one process registers: every shard holds the same definitions.
      const registers = !client.shard || client.shard.ids.includes(0);
      if (applicationId && registers) {
        try {
          await registerIfChanged({
            rest: client.rest,
            commands,
            target: { applicationId, guildId: config.DISCORD_GUILD_ID },
            settings: store.settings,
            logger,
          });
        } catch (err) {
          // The bot still works with the commands registered before; say why registration failed.
          logger.error(
            { err },
            'slash command registration failed; run `npm run deploy-commands` once Discord answers',
          );
        }
      }
      for (const guildId of client.guilds.cache.keys()) {
        await bridge
          .activateGuild(guildId)
          .catch((err: unknown) => logger.error({ err, guild: guildId }, 'guild activation failed'));
      }
      logger.info(
        { guilds: client.guilds.cache.size, bindings: bridge.liveBindings().length },
        'ptero-bridge is ready',
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      shutdown.abort();
      await router.drain();
      // Post what the console printed up to now before the sockets close.
      await feeds.flushAll(5_000);
      panels.close();
      await bridge.close();
      await client.destroy();
      await store.close();
    },
  };
}
