/**
 * Review findings on guild activation, end to end: a store failure while a guild comes up does not leave it without
 * its bindings for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { replyText } from './e2e/helpers.ts';

describe('guild activation (review findings)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];
  let creative: ReturnType<World['addPanelServer']>['server'];

  beforeAll(async () => {
    world = await startWorld();
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
});
