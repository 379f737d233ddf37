/**
 * Review findings on guild membership, end to end: a store failure while a guild comes up does not leave it without
 * its bindings for good, and a guild the bot leaves while one of its commands is in flight gets no socket back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowerPanels } from '../src/bridge/power-panels.ts';
import { ChannelSenders } from '../src/discord/channel-sender.ts';
import { createLogger } from '../src/log.ts';
import type { Store } from '../src/store/index.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { replyText } from './e2e/helpers.ts';

type Bindings = Store['bindings'];

/**
 * Holds the next call of a store method (for `guildId`, when given) until `open()`: the moment a command is between
 * two awaits, where the bot can leave the guild.
 */
function holdNext<K extends 'add' | 'listByGuild' | 'update'>(bindings: Bindings, method: K, guildId?: string) {
  const original = bindings[method].bind(bindings) as (...args: unknown[]) => Promise<unknown>;
  let reached!: () => void;
  let open!: () => void;
  const reachedP = new Promise<void>((r) => {
    reached = r;
  });
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let armed = true;
  (bindings as unknown as Record<K, (...args: unknown[]) => Promise<unknown>>)[method] = async (...args: unknown[]) => {
    const mine =
      armed && (guildId === undefined || args[0] === guildId || (args[0] as { guildId?: string }).guildId === guildId);
    if (mine) {
      armed = false;
      reached();
      await gate;
    }
    return original(...args);
  };
  return {
    reached: reachedP,
    open(): void {
      (bindings as unknown as Record<K, unknown>)[method] = original;
      open();
    },
  };
}

describe('guild activation (review findings)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];
  let creative: ReturnType<World['addPanelServer']>['server'];

  beforeAll(async () => {
    // Commands registered globally, so the other guilds below can use them.
    world = await startWorld({ env: { DISCORD_GUILD_ID: '' } });
    await world.startBot();
    const a = world.addPanelServer('Survival');
    survival = a.server;
    expect(await replyText(await world.bind('Survival', a.server, a.apiKey))).toMatch(/^Bound/);
    const b = world.addPanelServer('Creative');
    creative = b.server;
    expect(await replyText(await world.bind('Creative', b.server, b.apiKey))).toMatch(/^Bound/);
  }, 30_000);
  afterAll(async () => {
    await world?.close();
  });

  it('a store error while activating a guild is thrown, and the next activation brings every binding up', async () => {
    const bridge = world.bot.bridge;
    const guildId = world.guild.id;
    await bridge.deactivateGuild(guildId);
    await eventually(
      () => world.panel.metrics.openSockets(survival.uuid) + world.panel.metrics.openSockets(creative.uuid) === 0,
      'the sockets to close',
    );

    const bindings = world.bot.store.bindings;
    const listByGuild = bindings.listByGuild.bind(bindings);
    let failures = 1;
    bindings.listByGuild = async (id: string) => {
      if (failures-- > 0) throw new Error('store backend unavailable');
      return listByGuild(id);
    };
    try {
      await expect(bridge.activateGuild(guildId)).rejects.toThrow('store backend unavailable');
      expect(bridge.liveBindings()).toHaveLength(0);

      await bridge.activateGuild(guildId);
    } finally {
      bindings.listByGuild = listByGuild;
    }
    expect(
      bridge
        .liveBindings()
        .map((l) => l.binding.name)
        .sort(),
    ).toEqual(['Creative', 'Survival']);
    await eventually(
      () =>
        world.panel.metrics.openSockets(survival.uuid) === 1 && world.panel.metrics.openSockets(creative.uuid) === 1,
      'both sockets back',
    );
  });
  describe('the bot leaves a guild while a command of it is in flight', () => {
    /** A second guild with an admin and (optionally) a bound server with a live socket. */
    async function otherGuild(name: string, bindName?: string) {
      const guild = world.discord.addGuild({ name, channels: ['general'] });
      const admin = world.discord.addMember(guild.id, { username: `${name}-admin`, permissions: ['ManageGuild'] });
      await eventually(() => world.bot.client.guilds.cache.has(guild.id), `the bot in ${name}`);
      const { server, apiKey } = world.addPanelServer(bindName ?? `${name}-server`);
      const add = (serverName: string) =>
        world.discord.invokeCommand({
          guildId: guild.id,
          channelId: guild.channel('general').id,
          member: admin,
          name: 'server',
          subcommand: 'add',
          options: { name: serverName, panel_url: world.panel.panelUrl, server_id: server.identifier, api_key: apiKey },
        });
      if (bindName) {
        expect(await replyText(add(bindName), (t) => t.startsWith('Bound'), 15_000)).toMatch(/^Bound/);
        await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, `the socket of ${bindName}`);
      }
      return { guild, server, add };
    }

    async function kick(guildId: string): Promise<void> {
      world.discord.kickBot(guildId);
      await eventually(() => !world.bot.client.guilds.cache.has(guildId), 'the bot to see it left');
    }

    const liveIn = (guildId: string) => world.bot.bridge.liveBindings().filter((l) => l.binding.guildId === guildId);

    it('/server add answers that the bot left, and opens no socket', async () => {
      const { guild, server, add } = await otherGuild('Cedar');
      const held = holdNext(world.bot.store.bindings, 'add', guild.id);
      const handle = add('Cedar');
      await held.reached;
      await kick(guild.id);
      held.open();
      expect(await replyText(handle)).toBe('The bot is no longer in this server.');
      expect(liveIn(guild.id)).toEqual([]);
      expect(world.panel.metrics.openSockets(server.uuid)).toBe(0);
    });

    it('a command resolving its binding is refused and reattaches nothing', async () => {
      const { guild, server } = await otherGuild('Dune', 'Dun');
      const held = holdNext(world.bot.store.bindings, 'listByGuild', guild.id);
      const resolving = world.bot.bridge.resolve(guild.id, 'Dun');
      await held.reached;
      await kick(guild.id);
      held.open();
      await expect(resolving).rejects.toThrow('The bot is no longer in this server.');
      expect(liveIn(guild.id)).toEqual([]);
      await eventually(() => world.panel.metrics.openSockets(server.uuid) === 0, 'the socket to close');
    });

    it('a panel posted meanwhile is not tracked on the released socket', async () => {
      const { guild, server } = await otherGuild('Elm', 'Elf');
      const live = await world.bot.bridge.resolve(guild.id, 'Elf');
      const panels = new PowerPanels(
        world.bot.bridge,
        new ChannelSenders(world.bot.client.rest),
        createLogger({ level: 'silent' }),
      );
      try {
        const held = holdNext(world.bot.store.bindings, 'update', guild.id);
        const posting = panels.post(live, guild.channel('general').id);
        await held.reached;
        await kick(guild.id);
        await eventually(() => world.panel.metrics.openSockets(server.uuid) === 0, 'the socket to close');
        const listeners = {
          status: live.connection.listenerCount('status'),
          state: live.connection.listenerCount('state'),
        };
        held.open();
        expect((await posting).ok).toBe(true);
        expect(live.connection.listenerCount('status')).toBe(listeners.status);
        expect(live.connection.listenerCount('state')).toBe(listeners.state);
      } finally {
        panels.close();
      }
    });
  });
});
