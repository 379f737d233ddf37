/**
 * Command policy, redaction and the audit trail end to end: the real bot against both doubles. A refused command must
 * never reach Wings (the double's received frames are the proof); what the game prints must reach no Discord surface
 * (feed, /logs, /cmd) with an address, a panel key or a JWT in it; /audit must say who did what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panelCustomId } from '../src/discord/panel-view.ts';
import { stripAnsi } from '../src/feed/ansi.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, everythingSaid, replyText, run } from './e2e/helpers.ts';

const IP = '203.0.113.77';
const IP6 = '2001:db8:4:5::77';
const LEAKED_KEY = `ptla_${'Q7wErTy9'.repeat(5)}abc`;
const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const payload = Buffer.from('{"user_uuid":"u","server_uuid":"s","exp":1900000000}').toString('base64url');
const JWT = `${header}.${payload}.${Buffer.from('not-a-real-signature').toString('base64url')}`;
// The address coloured digit by digit, as some plugins print it.
const COLOURED_IP = '\u001b[31m1\u001b[32m9\u001b[33m8\u001b[0m.51.100.23';

type InvokeInput = Parameters<World['discord']['invokeCommand']>[0];

describe('policy, redaction and audit end to end', () => {
  let world: World;
  let server: ReturnType<World['panel']['addServer']>;
  let consoleId: string;

  /** Runs `/server <group> <sub>` (subcommand groups are not covered by the shared helper). */
  const serverGroup = (
    group: 'policy' | 'redact',
    subcommand: string,
    options: Record<string, string | boolean> = {},
    extra: Partial<InvokeInput> = {},
  ) =>
    replyText(
      world.discord.invokeCommand({
        guildId: world.guild.id,
        channelId: world.guild.channel('general').id,
        member: world.admin,
        name: 'server',
        subcommandGroup: group,
        subcommand,
        options,
        ...extra,
      }),
    );
  const cmd = (command: string, member = world.admin, bypassPermissions = false) =>
    replyText(run(world, { name: 'cmd', member, options: { command }, bypassPermissions }));
  const sentCommands = () => actionFrames(world, server.uuid).filter((f) => f.event === 'send command');
  const feedText = () =>
    world.discord
      .messages(consoleId)
      .flatMap((m) => [m.content, ...m.attachments.map((a) => a.content.toString('utf8'))])
      .join('\n');

  beforeAll(async () => {
    world = await startWorld({ feedTuning: { replayFirstLineMs: 500, replayQuietMs: 100 } });
    await world.startBot();
    server = world.panel.addServer({
      name: 'Survival',
      onCommand: (command, sim) => {
        if (command === 'whois steve') {
          sim.emitConsole([`> ${command}`, `Steve is at ${IP}:51234 (${IP6})`, `his key ${LEAKED_KEY}`, `jwt ${JWT}`]);
        } else sim.emitConsole([`> ${command}`, `Unknown command: ${command}`]);
      },
    });
    const apiKey = world.panel.addApiKey({ servers: { [server.identifier]: ['*'] } });
    consoleId = world.guild.channel('console').id;
    await world.bind('Survival', server, apiKey, {
      console_channel: consoleId,
      moderator_role: world.modRole.id,
    });
    await eventually(() => world.panel.metrics.openSockets(server.uuid) === 1, 'the socket');
    const started = await replyText(run(world, { name: 'start' }), (t) => t.includes('✅') || t.includes('—'));
    expect(started).toContain('running ✅');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('refuses the default deny list in every spelling, and none of it reaches Wings', async () => {
    const before = sentCommands().length;
    for (const attempt of ['op bob', '/op bob', 'minecraft:op bob', 'ＯＰ bob', '  Op bob', 'say hi; op me']) {
      const text = await cmd(attempt);
      expect(text, attempt).toBe(
        attempt === 'say hi; op me'
          ? "`op` (it follows a `;`, and some games run each `;`-separated part as its own command) is on Survival's deny list; an admin can change it with /server policy."
          : "`op` is on Survival's deny list; an admin can change it with /server policy.",
      );
    }
    expect(await cmd('execute as @a run say hi')).toMatch(/^`execute` is on Survival's deny list/);
    expect(await cmd('DEOP bob')).toMatch(/^`deop` is on Survival's deny list/);
    expect(sentCommands().length).toBe(before);
    // A command off the list still goes through.
    expect(await cmd('say hello', world.moderator, true)).toMatch(/^Sent/);
    expect(sentCommands().map((f) => f.args)).toContainEqual(['say hello']);
  });

  it('hides addresses, panel keys and JWTs printed by the game from the feed, /cmd and /logs', async () => {
    server.emitConsole([`login from ${COLOURED_IP} ok`, `plain ${IP} and [${IP6}]:25565`, `k=${LEAKED_KEY} t=${JWT}`]);
    const reply = await cmd('whois steve');
    expect(reply).toContain('[IP hidden]');
    expect(reply).toContain('[key hidden]');
    expect(reply).toContain('[token hidden]');
    await eventually(() => feedText().includes('jwt [token hidden]'), 'the /cmd output in the feed');
    await eventually(() => feedText().includes('k=[key hidden] t=[token hidden]'), 'the printed lines in the feed');
    const logs = await replyText(run(world, { name: 'logs', options: { lines: 20 } }), (t) => t.startsWith('Last'));
    expect(logs).toContain('[IP hidden]');
    const said = everythingSaid(world);
    for (const secret of [IP, IP6, LEAKED_KEY, JWT, header, '198.51.100.23']) {
      expect(said, secret).not.toContain(secret);
      expect(stripAnsi(said), secret).not.toContain(secret);
    }
    expect(stripAnsi(feedText())).toContain('login from [IP hidden] ok');
  });

  it('de-duplicates a reconnect replay on redacted lines: each line once, still hidden', async () => {
    server.emitConsole(Array.from({ length: 5 }, (_, i) => `pre-gap ${i} from 10.9.8.${i}`));
    await eventually(() => feedText().includes('pre-gap 4 from [IP hidden]'), 'lines before the drop');
    world.panel.faults.dropSockets(server.uuid);
    server.emitConsole(Array.from({ length: 3 }, (_, i) => `in-gap ${i} from 10.9.9.${i}`));
    await eventually(() => feedText().includes('in-gap 2 from [IP hidden]'), 'the gap filled', 20_000);
    const text = feedText();
    for (let i = 0; i < 5; i++) expect(text.split(`pre-gap ${i} from [IP hidden]`).length - 1).toBe(1);
    for (let i = 0; i < 3; i++) expect(text.split(`in-gap ${i} from [IP hidden]`).length - 1).toBe(1);
    expect(text).not.toMatch(/10\.9\.[89]\./);
  });

  it('lets only Manage Server members change the policy or the redaction rules', async () => {
    for (const member of [world.member, world.moderator]) {
      for (const [group, sub, options] of [
        ['policy', 'remove', { word: 'op' }],
        ['policy', 'mode', { mode: 'allow' }],
        ['redact', 'ips', { hide: false }],
        ['redact', 'add', { pattern: 'x+' }],
      ] as const) {
        const text = await serverGroup(group, sub, options, { member, bypassPermissions: true });
        expect(text, `${member.user.username} ${group} ${sub}`).toMatch(/Only members with the Manage Server/);
      }
    }
    expect(await serverGroup('policy', 'show')).toBe(
      '**Survival** uses a **deny list**: /cmd refuses `op`, `deop`, `execute`.',
    );
    expect(await serverGroup('redact', 'list')).toMatch(/IP addresses: \*\*hidden\*\*\.\nNo custom rules\.$/);
    expect(await cmd('op bob')).toMatch(/deny list/);
  });

  it('applies policy changes at once: remove from the deny list, switch to an allow list', async () => {
    expect(await serverGroup('policy', 'remove', { word: '/OP' })).toMatch(/^Removed `op` from Survival's deny list/);
    expect(await cmd('op bob')).toMatch(/^Sent/);
    expect(sentCommands().map((f) => f.args)).toContainEqual(['op bob']);

    expect(await serverGroup('policy', 'mode', { mode: 'allow' })).toMatch(/allow list\. It is empty/);
    const before = sentCommands().length;
    expect(await cmd('say hi')).toBe(
      "`say` is not on Survival's allow list; an admin can change it with /server policy.",
    );
    expect(await serverGroup('policy', 'add', { word: 'say' })).toMatch(/^Added `say` to Survival's allow list/);
    expect(await cmd('/say hi')).toMatch(/^Sent/);
    expect(await cmd('say a; stop')).toMatch(/^`stop` \(it follows a `;`/);
    expect(sentCommands().length).toBe(before + 1);
    expect(await serverGroup('policy', 'add', { word: 'say hi' })).toMatch(/one command word/);
    await serverGroup('policy', 'mode', { mode: 'deny' });
    expect(await serverGroup('policy', 'add', { word: 'whois' })).toMatch(/^Added `whois`/);
  });

  it('manages custom redaction rules and refuses unsafe patterns with a reason', async () => {
    for (const [pattern, message] of [
      ['(a+)+', /Nested repeats/],
      ['(x|xy)*z', /Repeated alternatives/],
      ['(a)\\1', /Backreferences/],
      ['(?=secret)', /Lookahead/],
      ['x{1,100}', /limited to 16/],
      ['x'.repeat(201), /limit is 200/],
    ] as const) {
      expect(await serverGroup('redact', 'add', { pattern }), pattern).toMatch(message);
    }
    expect(await serverGroup('redact', 'add', { pattern: 'code-\\d{4}' })).toMatch(/^Added rule 1/);
    expect(await serverGroup('redact', 'ips', { hide: false })).toMatch(/IP addresses are shown/);
    server.emitConsole([`door code-1234 opened by ${IP}`, 'redaction-marker-1']);
    await eventually(() => feedText().includes('redaction-marker-1'), 'the marker line');
    expect(feedText()).toContain(`door [redacted] opened by ${IP}`);
    expect(await serverGroup('redact', 'remove', { rule: '1' })).toMatch(/^Removed rule 1/);
    await serverGroup('redact', 'ips', { hide: true });
    server.emitConsole([`door code-5678 opened by ${IP}`, 'redaction-marker-2']);
    await eventually(() => feedText().includes('redaction-marker-2'), 'the second marker line');
    expect(feedText()).toContain('door code-5678 opened by [IP hidden]');
  });

  it('records a panel button press with the state the server ended in', async () => {
    const posted = await replyText(run(world, { name: 'panel', member: world.admin }), (t) => t.startsWith('Posted'));
    expect(posted).toMatch(/^Posted the control panel/);
    const panel = await eventually(
      () => world.discord.messages(world.guild.channel('general').id).find((m) => m.components.length > 0),
      'the panel message',
    );
    const bindingId = world.bot.bridge.liveBindings()[0]?.binding.id ?? '';
    const click = (messageId: string, customId: string) =>
      world.discord.clickButton({
        guildId: world.guild.id,
        channelId: world.guild.channel('general').id,
        member: world.moderator,
        messageId,
        customId,
      });
    const ask = click(panel.id, panelCustomId(bindingId, 'restart'));
    await ask.waitForReply((r) => r.kind === 'callback');
    const question = await eventually(() => ask.final(), 'the confirmation question');
    const confirm = click(question.id, panelCustomId(bindingId, 'restart', 'confirm'));
    await eventually(() => confirm.final()?.content.includes('✅'), 'the restart to finish', 15_000);
  });

  it('/audit shows who did what, newest first, to moderators only, without pinging', async () => {
    const refused = await replyText(
      run(world, { name: 'cmd', member: world.member, options: { command: 'say x' }, bypassPermissions: true }),
    );
    expect(refused).toMatch(/Only moderators/);
    const refusedPower = await replyText(run(world, { name: 'kill', member: world.member, bypassPermissions: true }));
    expect(refusedPower).toMatch(/Only moderators/);
    const denied = await replyText(run(world, { name: 'audit', member: world.member, bypassPermissions: true }));
    expect(denied).toMatch(/Only moderators/);

    const handle = run(world, {
      name: 'audit',
      member: world.moderator,
      options: { limit: 100 },
      bypassPermissions: true,
    });
    const embed = await eventually(() => handle.final()?.embeds?.[0], 'the audit embed');
    const text = String(embed.description);
    const lines = text.split('\n').filter((l) => / · /.test(l));
    expect(lines[0]).toContain(`bob-member (${world.member.user.id}) · kill · refused: no permission`);
    expect(lines[1]).toContain(`bob-member (${world.member.user.id}) · /cmd say x · refused: no permission`);
    expect(text).toContain(`alice-admin (${world.admin.user.id}) · /cmd op bob · refused by policy`);
    expect(text).toContain('/cmd op bob · sent');
    expect(text).toContain(`mo-moderator (${world.moderator.user.id}) · /cmd say hello · sent`);
    expect(text).toMatch(/alice-admin \(\d+\) · start · sent → running/);
    expect(text).toContain('/cmd whois steve · sent');
    expect(text).toContain(`mo-moderator (${world.moderator.user.id}) · restart (panel) · sent → running`);
    // Entries are newest first: the start came before every /cmd.
    expect(lines.at(-1)).toMatch(/ · start · sent/);
    expect(text.startsWith('```\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
    expect(handle.ephemeral).toBe(true);
    const limited = run(world, {
      name: 'audit',
      member: world.moderator,
      options: { limit: 2 },
      bypassPermissions: true,
    });
    const small = await eventually(() => limited.final()?.embeds?.[0], 'the limited embed');
    expect(
      String(small.description)
        .split('\n')
        .filter((l) => / · /.test(l)),
    ).toHaveLength(2);
  });
});
