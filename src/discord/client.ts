/** The discord.js client as the bot uses it: the Guilds intent only, REST base URL from configuration. */
import { Client, GatewayIntentBits, Options } from 'discord.js';
import type { Config } from '../config.ts';

export function createDiscordClient(config: Pick<Config, 'DISCORD_API_BASE'>): Client {
  return new Client({
    // Slash commands and buttons arrive as INTERACTION_CREATE, which needs no intent; Guilds keeps the guild, channel and
    // role caches that permission checks use.
    intents: [GatewayIntentBits.Guilds],
    rest: { api: config.DISCORD_API_BASE },
    // The bot never reads messages: keep no message cache.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    allowedMentions: { parse: [] },
  });
}
