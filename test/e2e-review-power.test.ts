/**
 * Review findings on power actions, end to end: a restart from offline finishes, a rejected action leaves no listener on
 * the shutdown signal, and two actions at once on one server do not take each other's errors.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPowerAction } from '../src/bridge/power.ts';
import { WingsError } from '../src/wings/errors.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, replyText, run, runText } from './e2e/helpers.ts';

const settled = (t: string) => t.includes('✅') || t.includes(' — ');

describe('power actions (review findings)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];
  let limitedId: string;
  let hang: ReturnType<World['panel']['addServer']>;

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
    // Its process never exits after `stop`: a stop stays in progress until someone kills it.
    hang = world.panel.addServer({ name: 'Hang', stopDelayMs: null });
    const hangKey = world.panel.addApiKey({ servers: { [hang.identifier]: ['*'] } });
    const bound = await world.bind('Hang', hang, hangKey, { moderator_role: world.modRole.id });
    expect(await replyText(bound)).toMatch(/^Bound/);
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
  it('a second power action while one is in progress is refused up front, naming it; /kill still ends a hanging stop', async () => {
    expect(await runText(world, { name: 'start', options: { server: 'Hang' } }, settled)).toBe(
      '**Hang**: starting… running ✅',
    );
    const stop = run(world, { name: 'stop', options: { server: 'Hang' } });
    await eventually(() => hang.state === 'stopping', 'the stop to reach Wings');
    const framesBefore = actionFrames(world, hang.uuid).length;

    const restart = await runText(world, {
      name: 'restart',
      member: world.moderator,
      bypassPermissions: true,
      options: { server: 'Hang' },
    });
    expect(restart).toBe(
      'A stop of Hang is already in progress (asked by alice-admin); wait for it to finish (or /kill it).',
    );
    expect(actionFrames(world, hang.uuid)).toHaveLength(framesBefore);
    // The first flow did not take anyone else's error.
    expect(stop.final()?.content).toBe('**Hang**: stopping…');

    const kill = await runText(
      world,
      { name: 'kill', member: world.moderator, bypassPermissions: true, options: { server: 'Hang' } },
      settled,
    );
    expect(kill).toBe('**Hang**: offline ✅');
    expect(await replyText(stop, settled)).toBe('**Hang**: stopping… offline ✅');

    // Both settled: the server is free for the next action.
    expect(await runText(world, { name: 'start', options: { server: 'Hang' } }, settled)).toBe(
      '**Hang**: starting… running ✅',
    );
  });

  it('a refused action does not hold the server', async () => {
    const sentence = 'The API key is not allowed to restart this server.';
    expect(await runText(world, { name: 'restart', options: { server: 'Limited' } })).toBe(sentence);
    expect(await runText(world, { name: 'restart', options: { server: 'Limited' } })).toBe(sentence);
  });
});
