/**
 * A refusal that comes after a public "thinking…" (the automatic defer of /stats) must reach the member: Discord's first
 * follow-up after a defer edits the deferred message, so the answer goes there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { run } from './e2e/helpers.ts';

describe('a refusal after a public defer', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('/stats on a binding still reconnecting answers in the deferred message', async () => {
    const { server, apiKey } = world.addPanelServer('Survival');
    await world.bind('Survival', server, apiKey, { console_channel: world.guild.channel('console').id });
    const live = await eventually(() => world.bot.bridge.liveBindings()[0], 'the binding');
    await eventually(() => live.connection.connectionState.kind === 'ready', 'ready');
    // Wings refuses every auth from now on: the connection keeps retrying (never stopped, never ready).
    world.panel.faults.refuseAuth(true);
    world.panel.faults.dropSockets(server.uuid);
    await eventually(() => live.connection.connectionState.kind !== 'ready', 'the drop');
    const handle = run(world, { name: 'stats', member: world.member });
    const text = await eventually(
      () => {
        const content = handle.final()?.content;
        return content?.startsWith('Survival is not connected') ? content : undefined;
      },
      'the refusal',
      15_000,
    );
    expect(text).toMatch(/^Survival is not connected/);
    expect(handle.responses.map((r) => r.callbackType ?? r.kind)).toContain(5);
  }, 30_000);
});
