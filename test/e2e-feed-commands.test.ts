/**
 * /logs and /cmd end to end: what the reply shows (inline or as a .log file), who may ask, what never reaches Wings,
 * and that the `send logs` replay behind /logs is not posted to the console channel a second time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, run, runText } from './e2e/helpers.ts';

describe('/logs and /cmd', () => {
  let world: World;
  let server: ReturnType<World['addPanelServer']>['server'];
  let consoleId: string;

  beforeAll(async () => {
    world = await startWorld({
      feedTuning: { replayFirstLineMs: 500, replayQuietMs: 100 },
      // Wings lets one `send logs` through per 5 s; scaled down on both sides so several /logs run back to back.
      panel: { limitRateScale: 0.02 },
      connectionOptions: { limits: { scale: 0.02 } },
      discord: {
        rateLimits: { messageCreate: { limit: 5, windowMs: 1000 }, messageEdit: { limit: 5, windowMs: 1000 } },
      },
    });
    await world.startBot();
    const added = world.addPanelServer('Survival');
    server = added.server;
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, added.apiKey, { console_channel: consoleId });
    await eventually(() => world.bot.bridge.liveBindings()[0]?.connection.serverState === 'offline', 'the socket');
    await server.power('start');
    await eventually(() => server.state === 'running', 'running');
  });
  afterAll(async () => {
    await world?.close();
  });

  const channelText = () =>
    world.discord
      .messages(consoleId)
      .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
      .join('\n');
  const count = (text: string, needle: string) => text.split(needle).length - 1;

  it('/logs answers inline when the lines are short, and the feed does not post the replay again', async () => {
    server.emitConsole(['short-one', 'short-two', 'short-three']);
    await eventually(() => channelText().includes('short-three'), 'the lines in the feed');
    const handle = run(world, { name: 'logs', options: { lines: 3 } });
    const reply = await eventually(() => {
      const m = handle.final();
      return m?.content.startsWith('Last') ? m : undefined;
    }, 'the /logs reply');
    expect(handle.ephemeral).toBe(true);
    expect(reply.content).toBe(
      'Last 3 console lines of **Survival**:\n```ansi\nshort-one\nshort-two\nshort-three\n```',
    );
    expect(reply.attachments).toEqual([]);
    // Anything the feed would post after the replay comes after this marker; the replay must not.
    server.emitConsole('after-logs');
    await eventually(() => channelText().includes('after-logs'), 'the marker line');
    for (const line of ['short-one', 'short-two', 'short-three']) expect(count(channelText(), line)).toBe(1);
    expect(count(channelText(), 'Done (0.050s)!')).toBe(1);
  });

  it('/logs attaches a plain .log file when the lines are long', async () => {
    const long = Array.from(
      { length: 60 },
      (_, i) => `\u001b[33m[12:00:${String(i).padStart(2, '0')} WARN]: long-line ${i} ${'-'.repeat(60)}\u001b[0m`,
    );
    server.emitConsole(long);
    await eventually(() => channelText().includes('long-line 59 '), 'the lines in the feed');
    const handle = run(world, { name: 'logs', options: { lines: 60 } });
    const reply = await eventually(() => {
      const m = handle.final();
      return m?.content.startsWith('Last') ? m : undefined;
    }, 'the /logs reply');
    expect(reply.content.length).toBeLessThanOrEqual(2000);
    expect(reply.content).toMatch(
      /^Last 60 console lines of \*\*Survival\*\*: \(attached; the newest shown here\)\n```/,
    );
    // The excerpt in the reply is one whole block: opened once, closed at the end.
    expect(reply.content.split('```')).toHaveLength(3);
    expect(reply.content.endsWith('\n```')).toBe(true);
    expect(reply.attachments).toHaveLength(1);
    const file = reply.attachments[0]!;
    expect(file.filename).toBe(`${server.identifier}-console.log`);
    const text = file.content.toString('utf8');
    expect(text).not.toContain('\u001b');
    expect(text.trimEnd().split('\n')).toEqual(long.map((l) => l.replace(/\u001b\[\d+m/g, '')));
    for (let i = 0; i < 60; i++) expect(count(channelText(), `long-line ${i} `)).toBe(1);
  });

  it('/logs is refused for a member who is not a moderator', async () => {
    const text = await runText(world, { name: 'logs', member: world.member, bypassPermissions: true });
    expect(text).toBe('Only moderators can do that: it needs the Manage Server permission.');
    expect(world.panel.metrics.received(server.uuid).filter((f) => f.event === 'send logs')).toHaveLength(2);
  });

  it('/cmd shows the lines that followed in an ephemeral reply', async () => {
    const handle = run(world, { name: 'cmd', options: { command: 'say hello' } });
    const text = await eventually(() => handle.final()?.content.startsWith('Sent') && handle.final()?.content, 'reply');
    expect(handle.ephemeral).toBe(true);
    expect(text).toBe('Sent `say hello` to **Survival**.\n```ansi\n> say hello\nUnknown command: say hello\n```');
  });

  it('/cmd says so when the game prints nothing', async () => {
    const quiet = world.panel.addServer({ name: 'Quiet', onCommand: () => undefined });
    const key = world.panel.addApiKey({ servers: { [quiet.identifier]: ['*'] } });
    await world.bind('Quiet', quiet, key, { console_channel: world.guild.channel('general').id });
    await eventually(
      () => world.bot.bridge.liveBindings().find((l) => l.binding.name === 'Quiet')?.connection.serverState,
      'the Quiet socket',
    );
    await quiet.power('start');
    await eventually(() => quiet.state === 'running', 'Quiet running');
    const text = await runText(world, { name: 'cmd', options: { server: 'Quiet', command: 'list' } });
    expect(text).toBe('Sent `list` to **Quiet**. Nothing came back within 0.4 s.');
    expect(actionFrames(world, quiet.uuid).map((f) => f.args)).toEqual([['list']]);
  });

  const refusals = [
    {
      title: 'a line break',
      command: 'say hi\nop bob',
      reply: 'The command contains a line break; send one command at a time.',
    },
    {
      title: 'a control character',
      command: 'say \u0007hi',
      reply: 'The command contains control characters; remove them and try again.',
    },
    {
      title: 'bidi overrides',
      command: 'say \u202ehi',
      reply: 'The command contains invisible or text-direction characters; type it plainly and try again.',
    },
    {
      title: 'over 1,000 characters',
      command: 'x'.repeat(1001),
      reply: 'The command is 1001 characters long; the limit is 1000.',
    },
  ];
  it.each(refusals)('/cmd with $title is refused and nothing reaches Wings', async ({ command, reply }) => {
    const before = actionFrames(world, server.uuid).length;
    const text = await runText(world, { name: 'cmd', options: { server: 'Survival', command } });
    expect(text).toBe(reply);
    expect(actionFrames(world, server.uuid).length).toBe(before);
  });
});
