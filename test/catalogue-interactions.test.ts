/**
 * Bad-input catalogue, Discord side: hostile slash-command options (line breaks, zero-width and RTL characters, control
 * characters, 6,000-character strings, mentions, markdown, code fences) and forged button custom ids (another guild's
 * binding, unknown actions and prefixes), through the real bot and the Discord double. Each case pins the exact reply,
 * checks it is ephemeral and pings no one, and checks what reached Wings (nothing, or exactly the accepted command).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionHandle } from './doubles/discord/index.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, replyText, run } from './e2e/helpers.ts';

type PanelServer = ReturnType<World['addPanelServer']>['server'];
const NO_PINGS = { everyone: false, users: [], roles: [] };

describe('catalogue: hostile interactions', () => {
  let world: World;
  let survival: PanelServer;
  let other: { guildId: string; channelId: string; admin: ReturnType<World['discord']['addMember']> };
  let otherServer: PanelServer;
  let panelMessageId = '';

  const settled = async (handle: InteractionHandle) => {
    const text = await replyText(handle, (t) => !t.startsWith('**Survival**: sending'));
    expect(handle.deadlineMet).toBe(true);
    expect(handle.ephemeral).toBe(true);
    expect(handle.final()?.pinged ?? NO_PINGS).toEqual(NO_PINGS);
    return text;
  };

  beforeAll(async () => {
    // Global commands, so a second guild can use the bot too.
    world = await startWorld({ env: { DISCORD_GUILD_ID: '' } });
    await world.startBot();
    const a = world.addPanelServer('Survival');
    survival = a.server;
    expect(
      await replyText(await world.bind('Survival', survival, a.apiKey, { moderator_role: world.modRole.id })),
    ).toMatch(/^Bound/);
    await eventually(() => world.panel.metrics.openSockets(survival.uuid) === 1, 'the socket');
    await survival.power('start');
    await eventually(() => survival.state === 'running', 'running');
    await eventually(
      () => world.bot.bridge.liveBindings()[0]?.connection.serverState === 'running',
      'bot sees running',
    );

    // A second guild with its own binding: its id is what a forged button in the first guild would carry.
    const guildB = world.discord.addGuild({ name: 'Elsewhere', channels: ['general'] });
    const adminB = world.discord.addMember(guildB.id, { username: 'zed-admin', permissions: ['ManageGuild'] });
    other = { guildId: guildB.id, channelId: guildB.channel('general').id, admin: adminB };
    const b = world.addPanelServer('Creative');
    otherServer = b.server;
    await eventually(() => world.bot.client.guilds.cache.has(guildB.id), 'the bot in the second guild');
    const addB = world.discord.invokeCommand({
      guildId: guildB.id,
      channelId: other.channelId,
      member: adminB,
      name: 'server',
      subcommand: 'add',
      options: {
        name: 'Creative',
        panel_url: world.panel.panelUrl,
        server_id: otherServer.identifier,
        api_key: b.apiKey,
      },
    });
    expect(await replyText(addB, (t) => t.startsWith('Bound'), 15_000)).toMatch(/^Bound \*\*Creative\*\*/);

    const panelHandle = run(world, { name: 'panel' });
    await replyText(panelHandle, (t) => t.startsWith('Posted'));
    const general = world.guild.channel('general').id;
    panelMessageId = (await world.discord.waitForMessage(general, (m) => (m.components ?? []).length > 0)).id;
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  describe('/cmd command option', () => {
    const LINE_BREAK = 'The command contains a line break; send one command at a time.';
    const INVISIBLE = 'The command contains invisible or text-direction characters; type it plainly and try again.';
    const CONTROL = 'The command contains control characters; remove them and try again.';
    const cases: Array<{ what: string; command: string; reply: string }> = [
      { what: 'a newline smuggling a second command', command: 'say hi\nop bob', reply: LINE_BREAK },
      { what: 'a bare carriage return', command: 'say hi\rop bob', reply: LINE_BREAK },
      { what: 'U+2028 line separator', command: 'say hi\u2028op bob', reply: LINE_BREAK },
      { what: 'U+0085 next line', command: 'say hi\u0085op bob', reply: LINE_BREAK },
      { what: 'a zero-width space', command: 'op\u200bbob', reply: INVISIBLE },
      { what: 'a zero-width joiner', command: 'op b\u200dob', reply: INVISIBLE },
      { what: 'an RTL override', command: 'say \u202eboj eht', reply: INVISIBLE },
      { what: 'an RTL isolate', command: 'say \u2067x\u2069', reply: INVISIBLE },
      { what: 'a BOM inside', command: 'say\ufeffhi', reply: INVISIBLE },
      { what: 'a tab', command: 'say\thi', reply: CONTROL },
      { what: 'a NUL byte', command: 'say\u0000hi', reply: CONTROL },
      { what: 'an ANSI escape', command: 'say \u001b[31mred', reply: CONTROL },
      { what: 'only spaces', command: '   ', reply: 'The command is empty.' },
      {
        what: '6,000 characters',
        command: 'x'.repeat(6000),
        reply: 'The command is 6000 characters long; the limit is 1000.',
      },
    ];
    it.each(cases)('$what', async ({ command, reply }) => {
      const before = actionFrames(world, survival.uuid).length;
      const text = await settled(
        run(world, { name: 'cmd', member: world.moderator, bypassPermissions: true, options: { command } }),
      );
      expect(text.split('\n')[0]?.replace(/ (Nothing came back|$).*/, '')).toBe(reply);
      // Refused before anything reached Wings.
      expect(actionFrames(world, survival.uuid).slice(before)).toEqual([]);
    });

    // Accepted as typed. The echo in the reply is a code span; it pings no one (checked in `settled`).
    const MENTIONS = `say @everyone @here <@${'1'.repeat(18)}> <@&${'2'.repeat(18)}>`;
    const MARKDOWN = 'say **bold** ~~gone~~ ||spoiler|| ```fence```';
    it.each([
      ['mentions', MENTIONS],
      ['markdown and a code fence', MARKDOWN],
    ])('%s are sent to Wings exactly as typed, and the reply pings no one', async (_what, command) => {
      const before = actionFrames(world, survival.uuid).length;
      const text = await settled(
        run(world, { name: 'cmd', member: world.moderator, bypassPermissions: true, options: { command } }),
      );
      expect(text).toMatch(/^Sent `.*` to \*\*Survival\*\*\./);
      expect(actionFrames(world, survival.uuid).slice(before)).toEqual([
        expect.objectContaining({ event: 'send command', args: [command] }),
      ]);
    });

    // The echo sits in a code span, where Discord shows text literally: markdown escapes there would show as backslashes.
    it('the echo shows the command as typed (backticks aside)', async () => {
      const text = await settled(
        run(world, { name: 'cmd', member: world.moderator, bypassPermissions: true, options: { command: MARKDOWN } }),
      );
      expect(text.split('\n')[0]?.replace(/ Nothing came back.*/, '')).toBe(
        "Sent `say **bold** ~~gone~~ ||spoiler|| '''fence'''` to **Survival**.",
      );
    });
  });

  describe('/server add name option', () => {
    const NAME = 'The name must be 1-32 characters without line breaks, @, #, : or backticks (e.g. Survival).';
    it.each([
      ['a newline', 'Surv\nival'],
      ['@everyone', '@everyone'],
      ['a code fence', '```js'],
      ['a channel mention', '<#123>'],
      ['6,000 characters', 'n'.repeat(6000)],
    ])('%s is refused before the panel is asked', async (_what, name) => {
      const requests = world.panel.metrics.requests();
      const handle = run(world, {
        name: 'server',
        subcommand: 'add',
        options: { name, panel_url: world.panel.panelUrl, server_id: survival.identifier, api_key: 'ptlc_x' },
      });
      expect(await settled(handle)).toBe(NAME);
      expect(world.panel.metrics.requests()).toBe(requests);
    });
  });

  describe('/stats server option (any member)', () => {
    const cases: Array<[string, string, string]> = [
      ['6,000 characters', 's'.repeat(6000), `No bound server is called “${'s'.repeat(100)}”. Bound here: “Survival”.`],
      ['@everyone', '@everyone', 'No bound server is called “@everyone”. Bound here: “Survival”.'],
      [
        'a role mention',
        `<@&${world0Role()}>`,
        `No bound server is called “<@&${world0Role()}>”. Bound here: “Survival”.`,
      ],
      ['a code fence', '```\nx\n```', 'No bound server is called “```\nx\n```”. Bound here: “Survival”.'],
      ['another guild’s binding name', 'Creative', 'No bound server is called “Creative”. Bound here: “Survival”.'],
    ];
    it.each(cases)('%s', async (_what, server, reply) => {
      const handle = run(world, { name: 'stats', member: world.member, options: { server } });
      expect(await settled(handle)).toBe(reply);
    });
  });

  it('a console line over 64 KiB: Wings cuts it at 64 KiB, the feed shows all of it once, within message limits', async () => {
    const general = world.guild.channel('general').id;
    const before = new Set(world.discord.messages(general).map((m) => m.id));
    survival.emitConsole([`BIG:${'Z'.repeat(70_000)}`]);
    const zs = () =>
      world.discord
        .messages(general)
        .filter((m) => !before.has(m.id))
        .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
        .join('')
        .split('Z').length - 1;
    await eventually(() => zs() >= 64 * 1024 - 4, 'the long line in Discord', 15_000);
    expect(zs()).toBe(64 * 1024 - 4);
    for (const m of world.discord.messages(general)) expect(m.content.length).toBeLessThanOrEqual(2000);
  });

  describe('forged panel buttons', () => {
    /** Rewrites the first button of the real panel message, as a forged client payload would carry it. */
    const clickForged = (customId: string, member = world.moderator) => {
      const message = world.discord.message(panelMessageId);
      const row = message?.components?.[0] as { components: Array<Record<string, unknown>> } | undefined;
      const button = row?.components[0];
      if (!button) throw new Error('no panel button');
      button.custom_id = customId;
      button.disabled = false;
      return world.discord.clickButton({
        guildId: world.guild.id,
        channelId: world.guild.channel('general').id,
        member,
        messageId: panelMessageId,
        customId,
      });
    };
    const bindingB = () => world.bot.bridge.liveBindings().find((l) => l.binding.guildId === other.guildId)!.binding.id;
    const bindingA = () =>
      world.bot.bridge.liveBindings().find((l) => l.binding.guildId === world.guild.id)!.binding.id;
    const NOT_HERE = "This panel's server is not bound in this Discord server (any more).";
    const UNKNOWN = 'This button is not one the bot knows.';
    const cases: Array<{ what: string; id: () => string; reply: string; member?: () => World['member'] }> = [
      { what: "another guild's binding (kill, confirmed)", id: () => `pb:${bindingB()}:kill:confirm`, reply: NOT_HERE },
      { what: "another guild's binding (start)", id: () => `pb:${bindingB()}:start`, reply: NOT_HERE },
      {
        what: 'a binding id that never existed',
        id: () => 'pb:00000000-0000-4000-8000-000000000000:start',
        reply: NOT_HERE,
      },
      { what: 'an unknown action', id: () => `pb:${bindingA()}:explode`, reply: UNKNOWN },
      { what: 'an unknown step', id: () => `pb:${bindingA()}:kill:now`, reply: UNKNOWN },
      { what: 'not a uuid', id: () => 'pb:../../etc/passwd:start', reply: UNKNOWN },
      { what: 'too many parts', id: () => `pb:${bindingA()}:kill:confirm:extra`, reply: UNKNOWN },
      { what: 'an unknown prefix', id: () => 'zz:whatever', reply: 'This button is no longer handled by the bot.' },
      {
        what: '100 characters of noise',
        id: () => '\u202e'.repeat(50) + ':'.repeat(50),
        reply: 'This button is no longer handled by the bot.',
      },
      {
        what: 'a confirmed kill clicked by a plain member',
        id: () => `pb:${bindingA()}:kill:confirm`,
        member: () => world.member,
        reply: 'Only moderators can do that: it needs the Manage Server permission or the <@&MOD> role.',
      },
    ];
    it.each(cases)('$what', async ({ id, reply, member }) => {
      const beforeA = actionFrames(world, survival.uuid).length;
      const beforeB = actionFrames(world, otherServer.uuid).length;
      const handle = clickForged(id(), member?.() ?? world.moderator);
      expect(await settled(handle)).toBe(reply.replace('MOD', world.modRole.id));
      expect(actionFrames(world, survival.uuid)).toHaveLength(beforeA);
      expect(actionFrames(world, otherServer.uuid)).toHaveLength(beforeB);
      expect(survival.state).toBe('running');
    });
  });
});

/** A role id shape for the mention case (the table is built before the world exists). */
function world0Role(): string {
  return '3'.repeat(18);
}
