import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';

describe('console feed end to end', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let consoleId: string;

  beforeAll(async () => {
    world = await startWorld({ feedTuning: { replayFirstLineMs: 500, replayQuietMs: 100 } });
    await world.startBot();
    const added = world.addPanelServer('Survival');
    server = added.server;
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, added.apiKey, { console_channel: consoleId });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');
  });
  afterAll(async () => {
    await world?.close();
  });

  const feedText = () =>
    world.discord
      .messages(consoleId)
      .map((m) => m.content)
      .join('\n');

  it('mirrors console lines and state changes, pinging no one', async () => {
    server.emitConsole([
      '[12:00:00 INFO]: hello @everyone <@&123> ```break out```',
      '\u001b[38;2;255;0;0mred alert\u001b[0m',
    ]);
    await eventually(() => feedText().includes('red alert'), 'the lines in the channel');
    const messages = world.discord.messages(consoleId);
    for (const m of messages) {
      expect(m.pinged.everyone).toBe(false);
      expect(m.pinged.users).toEqual([]);
      expect(m.pinged.roles).toEqual([]);
      expect(m.content.length).toBeLessThanOrEqual(2000);
    }
    const text = feedText();
    expect(text).toContain('Survival is running');
    expect(text).toContain('\u001b[31mred alert');
    expect(text).not.toContain('```break');
  });

  it('fills the gap after a dropped socket without duplicates', async () => {
    server.emitConsole(Array.from({ length: 20 }, (_, i) => `before-drop ${i}`));
    await eventually(() => feedText().includes('before-drop 19'), 'lines before the drop');
    world.panel.faults.dropSockets(server.uuid);
    // Printed while the bot is disconnected: only `send logs` can bring these back.
    server.emitConsole(Array.from({ length: 10 }, (_, i) => `during-gap ${i}`));
    await eventually(() => feedText().includes('during-gap 9'), 'the gap filled', 20_000);
    const text = feedText();
    for (let i = 0; i < 20; i++) expect(text.match(new RegExp(`before-drop ${i}\\b`, 'g'))?.length).toBe(1);
    for (let i = 0; i < 10; i++) expect(text.match(new RegExp(`during-gap ${i}\\b`, 'g'))?.length).toBe(1);
    expect(text).toContain('reconnected to Survival');
  });
});
