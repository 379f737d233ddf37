import { inflateSync } from 'node:zlib';
import { Client, DiscordAPIError, Events, GatewayIntentBits, type Interaction, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DiscordDouble, startDiscordDouble } from './doubles/discord/index.ts';

// The self-test drives a real discord.js Client against the double; handlers below play the bot.
type Handler = (interaction: Interaction) => Promise<void>;

describe('discord double with a real discord.js client', () => {
  let discord: DiscordDouble;
  let client: Client;
  let guildId: string;
  let generalId: string;
  let admin: ReturnType<DiscordDouble['addMember']>;
  const handlers = new Map<string, Handler>();

  beforeAll(async () => {
    discord = await startDiscordDouble({
      heartbeatMs: 300,
      rateLimits: { messageCreate: { limit: 5, windowMs: 1000 } },
    });
    const guild = discord.addGuild({
      name: 'Test Guild',
      channels: ['general', 'console', { name: 'locked', botCanSend: false }],
    });
    guildId = guild.id;
    generalId = guild.channel('general').id;
    admin = discord.addMember(guildId, { username: 'admin', permissions: ['Administrator'] });
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiBase } });
    client.on(Events.InteractionCreate, (interaction) => {
      const key = interaction.isChatInputCommand()
        ? interaction.commandName
        : interaction.isButton()
          ? `button:${interaction.customId}`
          : interaction.isAutocomplete()
            ? `auto:${interaction.commandName}`
            : 'other';
      const handler = handlers.get(key);
      if (handler) void handler(interaction).catch(() => {});
    });
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    await client.login(discord.botToken);
    await ready;
    await client.application?.commands.set([
      { name: 'ping', description: 'Ping' },
      { name: 'slow', description: 'Deferred' },
      { name: 'whois', description: 'Who', options: [{ type: 6, name: 'who', description: 'Member', required: true }] },
      {
        name: 'server',
        description: 'Server things',
        options: [
          {
            type: 1,
            name: 'power',
            description: 'Power',
            options: [
              { type: 3, name: 'server', description: 'Which', required: true, autocomplete: true },
              { type: 4, name: 'count', description: 'How many' },
            ],
          },
        ],
      },
    ]);
  });

  afterAll(async () => {
    await client?.destroy();
    await discord?.close();
  });

  it('logs in, becomes ready and caches the guild, channels and roles', () => {
    const guild = client.guilds.cache.get(guildId);
    expect(guild?.name).toBe('Test Guild');
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual(['console', 'general', 'locked']);
    expect(guild?.members.me?.id).toBe(discord.botUser.id);
    expect(discord.metrics.identifies).toBe(1);
    expect(discord.metrics.identifyLog[0]?.intents).toBe(GatewayIntentBits.Guilds);
    expect(discord.registeredCommands().map((c) => c.name)).toEqual(['ping', 'slow', 'whois', 'server']);
  });

  it('delivers a slash command and records interaction.reply', async () => {
    handlers.set('ping', async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    const reply = await handle.waitForReply();
    expect(reply.callbackType).toBe(4);
    expect(reply.content).toBe('pong');
    expect(handle.ephemeral).toBe(true);
    expect(handle.deadlineMet).toBe(true);
    expect(handle.final()?.content).toBe('pong');
  });

  it('types options from the registered command and resolves users for discord.js', async () => {
    handlers.set('whois', async (i) => {
      if (!i.isChatInputCommand()) return;
      const user = i.options.getUser('who', true);
      const member = i.options.getMember('who');
      await i.reply(`${user.username} ${member ? 'member' : 'none'} ${i.memberPermissions?.has('Administrator')}`);
    });
    const handle = discord.invokeCommand({
      guildId,
      channelId: generalId,
      member: admin,
      name: 'whois',
      options: { who: admin.user.id },
    });
    expect((await handle.waitForReply()).content).toBe('admin member true');
    expect(() => discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'whois' })).toThrow(
      /required/,
    );
    expect(() => discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'nope' })).toThrow(
      /not registered/,
    );
  });

  it('records deferReply + editReply', async () => {
    handlers.set('slow', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await i.editReply('done');
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'slow' });
    await handle.waitForReply((r) => r.kind === 'edit');
    expect(handle.responses.map((r) => [r.kind, r.callbackType])).toEqual([
      ['callback', 5],
      ['edit', undefined],
    ]);
    expect(handle.final()?.content).toBe('done');
    expect(discord.messages(generalId).some((m) => m.content === 'done')).toBe(true);
  });

  const general = () => {
    const channel = client.channels.cache.get(generalId);
    if (!channel?.isSendable()) throw new Error('general is not sendable');
    return channel;
  };

  it('records followUp after reply, ephemeral follow-ups, and the first follow-up after a defer fills it', async () => {
    handlers.set('ping', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply('first');
      await i.followUp({ content: 'secret', flags: MessageFlags.Ephemeral });
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    const follow = await handle.waitForReply((r) => r.kind === 'followup');
    expect(follow.ephemeral).toBe(true);
    expect(handle.ephemeral).toBe(false);
    expect(handle.followups().map((m) => m.content)).toEqual(['secret']);

    handlers.set('slow', async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.followUp('filled');
    });
    const deferred = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'slow' });
    await deferred.waitForReply((r) => r.kind === 'followup');
    expect(deferred.final()?.content).toBe('filled');
    expect(deferred.final()?.ephemeral).toBe(true);
    expect(deferred.followups()).toEqual([]);
  });

  it('routes autocomplete with typed options from the registered command', async () => {
    handlers.set('auto:server', async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      await i.respond([{ name: `match ${typed}`, value: typed }]);
    });
    const handle = discord.autocomplete({
      guildId,
      channelId: generalId,
      member: admin,
      name: 'server',
      subcommand: 'power',
      options: { server: 'surv', count: 2 },
      focused: 'server',
    });
    expect(await handle.waitForChoices()).toEqual([{ name: 'match surv', value: 'surv' }]);
  });

  it('records button update and deferUpdate + editReply on the clicked message', async () => {
    const sent = await general().send({
      content: 'panel',
      components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: 'start', label: 'Start' }] }],
    });
    handlers.set('button:start', async (i) => {
      if (i.isButton()) await i.update({ content: 'starting', components: [] });
    });
    const click = discord.clickButton({
      guildId,
      channelId: generalId,
      member: admin,
      messageId: sent.id,
      customId: 'start',
    });
    await click.waitForReply();
    expect(click.ackType).toBe(7);
    const stored = discord.message(sent.id);
    expect(stored?.content).toBe('starting');
    expect(stored?.edits.map((e) => e.content)).toEqual(['panel']);

    const again = await general().send({
      content: 'panel 2',
      components: [{ type: 1, components: [{ type: 2, style: 4, custom_id: 'stop', label: 'Stop' }] }],
    });
    handlers.set('button:stop', async (i) => {
      if (!i.isButton()) return;
      await i.deferUpdate();
      await i.editReply({ content: 'stopped' });
    });
    const click2 = discord.clickButton({
      guildId,
      channelId: generalId,
      member: admin,
      messageId: again.id,
      customId: 'stop',
    });
    await click2.waitForReply((r) => r.kind === 'edit');
    expect(click2.ackType).toBe(6);
    expect(click2.final()?.id).toBe(again.id);
    expect(discord.message(again.id)?.content).toBe('stopped');
  });

  it('records who would be pinged: parse [] pings nobody, the default pings @everyone', async () => {
    const quiet = await general().send({ content: '@everyone quiet', allowedMentions: { parse: [] } });
    const loud = await general().send({ content: '@everyone loud' });
    expect(discord.message(quiet.id)?.pinged).toEqual({ everyone: false, users: [], roles: [] });
    expect(discord.message(loud.id)?.pinged.everyone).toBe(true);
    const user = await general().send({ content: `<@${admin.user.id}>`, allowedMentions: { users: [] } });
    expect(discord.message(user.id)?.pinged.users).toEqual([]);
    expect(discord.message(user.id)?.mentionedUsers).toEqual([admin.user.id]);
  });

  it('lands every message under the per-channel limit without exceeding it, and absorbs a 429', async () => {
    const consoleId = discord.guild(guildId).channel('console').id;
    const channel = client.channels.cache.get(consoleId);
    if (!channel?.isSendable()) throw new Error('console not sendable');
    await Promise.all(Array.from({ length: 8 }, (_, n) => channel.send(`line ${n}`)));
    const landed = discord.messages(consoleId);
    expect(landed.map((m) => m.content).sort()).toEqual(Array.from({ length: 8 }, (_, n) => `line ${n}`).sort());
    // Fixed 5-per-1000 ms windows: the 6th message can only be created once the first window has reset.
    const times = landed.map((m) => m.createdAt);
    expect((times[5] as number) - (times[0] as number)).toBeGreaterThanOrEqual(1000 - 50);

    const before = discord.metrics.rateLimited;
    discord.faults.failNext({ route: 'POST /channels/:channel/messages', status: 429, retryAfterMs: 100 });
    await channel.send('after 429');
    expect(discord.metrics.rateLimited).toBe(before + 1);
    expect(discord.messages(consoleId).at(-1)?.content).toBe('after 429');

    // A 502 is retried by discord.js's REST queue.
    discord.faults.failNext({ route: /^POST \/channels\/\d+\/messages$/, status: 502 });
    await channel.send('after 502');
    expect(discord.messages(consoleId).at(-1)?.content).toBe('after 502');
    expect(discord.metrics.requestLog.some((r) => r.status === 502)).toBe(true);
  });

  it('stores attachments with their bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 3, 250, 251, 252]);
    const sent = await general().send({ content: 'log', files: [{ attachment: bytes, name: 'console.log' }] });
    const stored = discord.message(sent.id);
    expect(stored?.attachments.map((a) => [a.filename, a.size])).toEqual([['console.log', bytes.length]]);
    expect(stored?.attachments[0]?.content.equals(bytes)).toBe(true);
    expect(sent.attachments.first()?.name).toBe('console.log');
  });

  it('answers 403 50013 in a channel where the bot cannot send', async () => {
    const locked = client.channels.cache.get(discord.guild(guildId).channel('locked').id);
    if (!locked?.isTextBased() || !('send' in locked)) throw new Error('locked channel missing');
    const err = await locked.send('hi').catch((e: unknown) => e);
    expect((err as DiscordAPIError).code).toBe(50013);
    expect((err as DiscordAPIError).status).toBe(403);
  });

  it('resumes after close 4000 without a new IDENTIFY and still delivers interactions', async () => {
    const identifies = discord.metrics.identifies;
    discord.closeGateway(4000);
    await discord.waitFor(() => discord.metrics.resumes === 1 || undefined, 5000, 'a RESUME');
    expect(discord.metrics.identifies).toBe(identifies);
    handlers.set('ping', async (i) => {
      if (i.isChatInputCommand()) await i.reply('still here');
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    expect((await handle.waitForReply()).content).toBe('still here');
  });

  it('re-identifies after close 4009 (session timed out) and keeps working', async () => {
    const identifies = discord.metrics.identifies;
    const failed = discord.metrics.failedResumes;
    const shardReady = new Promise<void>((resolve) => client.once(Events.ShardReady, () => resolve()));
    discord.closeGateway(4009);
    await shardReady;
    expect(discord.metrics.identifies).toBe(identifies + 1);
    expect(discord.metrics.failedResumes).toBe(failed + 1);
    handlers.set('ping', async (i) => {
      if (i.isChatInputCommand()) await i.reply('back');
    });
    const handle = discord.invokeCommand({ guildId, channelId: generalId, member: admin, name: 'ping' });
    expect((await handle.waitForReply(undefined, 5000)).content).toBe('back');
  });

  it('tells the client about a new guild and a kick (GUILD_CREATE / GUILD_DELETE)', async () => {
    const added = new Promise<string>((resolve) => client.once(Events.GuildCreate, (g) => resolve(g.id)));
    const second = discord.addGuild({ name: 'Second' });
    expect(await added).toBe(second.id);
    const removed = new Promise<string>((resolve) => client.once(Events.GuildDelete, (g) => resolve(g.id)));
    discord.kickBot(second.id);
    expect(await removed).toBe(second.id);
    expect(client.guilds.cache.has(second.id)).toBe(false);

    const addedThird = new Promise<string>((resolve) => client.once(Events.GuildCreate, (g) => resolve(g.id)));
    const third = discord.addGuild({ name: 'Third' });
    expect(await addedThird).toBe(third.id);
    const left = new Promise<string>((resolve) => client.once(Events.GuildDelete, (g) => resolve(g.id)));
    await client.guilds.cache.get(third.id)?.leave();
    expect(await left).toBe(third.id);
    expect(discord.world.guild(third.id).botPresent).toBe(false);
  });

  it('rejects a 2001-char message with DiscordAPIError 50035', async () => {
    const channel = client.channels.cache.get(generalId);
    if (!channel?.isSendable()) throw new Error('not sendable');
    const err = await channel.send('x'.repeat(2001)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50035);
  });
});

// Protocol-level checks with raw HTTP and a raw websocket, for behaviour discord.js hides.
describe('discord double protocol', () => {
  let discord: DiscordDouble;
  let guild: ReturnType<DiscordDouble['addGuild']>;
  const api = (path: string, init: RequestInit = {}, auth = true) =>
    fetch(`${discord.apiBase}/v10${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bot ${discord.botToken}` } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  beforeAll(async () => {
    discord = await startDiscordDouble({
      heartbeatMs: 200,
      interactionDeadlineMs: 150,
      rateLimits: { messageCreate: { limit: 2, windowMs: 60_000 }, global: { limit: 40, windowMs: 60_000 } },
    });
    guild = discord.addGuild({ name: 'Raw', channels: ['a', 'b', 'c'] });
    await api(`/applications/${discord.applicationId}/commands`, {
      method: 'PUT',
      body: JSON.stringify([{ name: 'go', description: 'Go' }]),
    });
  });
  afterAll(async () => {
    await discord?.close();
  });

  it('answers 401 without the bot token, 404 on unknown routes, and counts invalid requests', async () => {
    const before = discord.metrics.invalidRequests;
    const unauth = await api('/users/@me', {}, false);
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toEqual({ message: '401: Unauthorized', code: 0 });
    const unknown = await api('/nope/nothing');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: '404: Not Found', code: 0 });
    expect(discord.metrics.invalidRequests).toBe(before + 1);
  });

  it('sends bucket headers and a Discord-shaped 429 when a channel bucket is exhausted', async () => {
    const channelId = guild.channel('a').id;
    const post = () =>
      api(`/channels/${channelId}/messages`, { method: 'POST', body: JSON.stringify({ content: 'x' }) });
    const first = await post();
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(first.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(0);
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-scope')).toBe('user');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as { message: string; retry_after: number; global: boolean };
    expect(body.message).toBe('You are being rate limited.');
    expect(body.global).toBe(false);
    expect(discord.messages(channelId)).toHaveLength(2);
    // Another channel has its own bucket.
    const other = await api(`/channels/${guild.channel('b').id}/messages`, { method: 'POST', body: '{"content":"y"}' });
    expect(other.status).toBe(200);
  });

  it.each([
    ['content over 2000', { content: 'x'.repeat(2001) }, 400, 50035, 'content'],
    ['11 embeds', { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, 400, 50035, 'embeds'],
    ['description over 4096', { embeds: [{ description: 'd'.repeat(4097) }] }, 400, 50035, 'embeds'],
    [
      'embeds over 6000 total',
      { embeds: [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2001) }] },
      400,
      50035,
      'embeds',
    ],
    [
      '6 action rows',
      {
        components: Array.from({ length: 6 }, (_, n) => ({
          type: 1,
          components: [{ type: 2, style: 1, custom_id: `b${n}`, label: 'b' }],
        })),
      },
      400,
      50035,
      'components',
    ],
    [
      '6 buttons in a row',
      {
        components: [
          {
            type: 1,
            components: Array.from({ length: 6 }, (_, n) => ({ type: 2, style: 1, custom_id: `b${n}`, label: 'b' })),
          },
        ],
      },
      400,
      50035,
      'components',
    ],
    [
      'custom_id over 100',
      { components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: 'c'.repeat(101), label: 'b' }] }] },
      400,
      50035,
      'components',
    ],
    ['an empty message', {}, 400, 50006, undefined],
  ])('rejects %s', async (_name, body, status, code, errorKey) => {
    const channel = discord.addChannel(guild.id, { name: 'validation' });
    const res = await api(`/channels/${channel.id}/messages`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { code: number; errors?: Record<string, unknown> };
    expect(json.code).toBe(code);
    if (errorKey) expect(Object.keys(json.errors ?? {})).toContain(errorKey);
  });

  it('rejects a file over 10 MiB with 413 40005 (multipart)', async () => {
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'big', attachments: [{ id: 0, filename: 'big.log' }] }));
    form.append('files[0]', new Blob([new Uint8Array(10 * 1024 * 1024 + 1)]), 'big.log');
    const res = await fetch(`${discord.apiBase}/v10/channels/${guild.channel('c').id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${discord.botToken}` },
      body: form,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: number }).code).toBe(40005);
  });

  it('applies the global limit to bot requests but not to interaction callbacks', async () => {
    const small = await startDiscordDouble({ rateLimits: { global: { limit: 2, windowMs: 60_000 } } });
    try {
      const g = small.addGuild({ name: 'g' });
      const auth = { authorization: `Bot ${small.botToken}`, 'content-type': 'application/json' };
      await fetch(`${small.apiBase}/v10/applications/${small.applicationId}/commands`, {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify([{ name: 'go', description: 'Go' }]),
      });
      expect((await fetch(`${small.apiBase}/v10/users/@me`, { headers: auth })).status).toBe(200);
      const limited = await fetch(`${small.apiBase}/v10/users/@me`, { headers: auth });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('x-ratelimit-global')).toBe('true');
      expect(limited.headers.get('x-ratelimit-scope')).toBe('global');
      expect(((await limited.json()) as { global: boolean }).global).toBe(true);
      const member = small.addMember(g.id, { username: 'm' });
      const h = small.invokeCommand({ guildId: g.id, channelId: g.channel('general').id, member, name: 'go' });
      const cb = await fetch(`${small.apiBase}/v10/interactions/${h.id}/${h.token}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 4, data: { content: 'ok' } }),
      });
      expect(cb.status).toBe(204);
      expect(small.metrics.globalRateLimited).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('answers 10008 after a moderator deletes a message, 30046 past the old-message edit limit, and injected bodies', async () => {
    const aged = await startDiscordDouble({ oldEditLimit: { ageMs: 0, maxEdits: 1 } });
    try {
      const g = aged.addGuild({ name: 'g', channels: ['text', { name: 'cat', type: 4 }] });
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${aged.apiBase}/v10${path}`, {
          method,
          headers: { authorization: `Bot ${aged.botToken}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      const text = g.channel('text').id;
      const codeOf = async (res: Response) => ((await res.json()) as { code: number }).code;
      expect(await codeOf(await call('POST', `/channels/${g.channel('cat').id}/messages`, { content: 'x' }))).toBe(
        50008,
      );
      const made = (await (await call('POST', `/channels/${text}/messages`, { content: 'a' })).json()) as {
        id: string;
      };
      expect((await call('PATCH', `/channels/${text}/messages/${made.id}`, { content: 'b' })).status).toBe(200);
      expect(await codeOf(await call('PATCH', `/channels/${text}/messages/${made.id}`, { content: 'c' }))).toBe(30046);
      aged.deleteMessage(made.id);
      expect(await codeOf(await call('PATCH', `/channels/${text}/messages/${made.id}`, { content: 'd' }))).toBe(10008);
      aged.faults.failNext({ route: 'POST /channels/:channel/messages', status: 429, retryAfterMs: 10, body: {} });
      aged.faults.failNext({
        route: '/channels/:channel/messages',
        status: 400,
        body: { message: 'write limit', code: 20028 },
      });
      expect((await call('POST', `/channels/${text}/messages`, { content: 'e' })).status).toBe(429);
      expect(await codeOf(await call('POST', `/channels/${text}/messages`, { content: 'e' }))).toBe(20028);
      expect((await call('POST', `/channels/${text}/messages`, { content: 'e' })).status).toBe(200);
    } finally {
      await aged.close();
    }
  });

  it('enforces the deadline, single acknowledgement, and the webhook only after it', async () => {
    const member = discord.addMember(guild.id, { username: 'u' });
    const cb = (h: { id: string; token: string }, body: unknown) =>
      api(`/interactions/${h.id}/${h.token}/callback`, { method: 'POST', body: JSON.stringify(body) }, false);
    const h = discord.invokeCommand({ guildId: guild.id, channelId: guild.channel('c').id, member, name: 'go' });
    const early = await api(
      `/webhooks/${discord.applicationId}/${h.token}`,
      { method: 'POST', body: '{"content":"x"}' },
      false,
    );
    expect(((await early.json()) as { code: number }).code).toBe(10015);
    expect((await cb(h, { type: 6 })).status).toBe(400); // deferred update is not valid for a slash command
    const ok = await fetch(`${discord.apiBase}/v10/interactions/${h.id}/${h.token}/callback?with_response=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 4, data: { content: `hi <@${member.user.id}> @everyone` } }),
    });
    const body = (await ok.json()) as {
      interaction: { id: string; response_message_id: string };
      resource: { type: number; message: { content: string } };
    };
    expect(body.interaction.id).toBe(h.id);
    expect(body.resource.type).toBe(4);
    expect(h.final()?.id).toBe(body.interaction.response_message_id);
    // Interaction responses default to pinging users only.
    expect(h.final()?.pinged).toEqual({ everyone: false, users: [member.user.id], roles: [] });
    const twice = await cb(h, { type: 4, data: { content: 'again' } });
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { code: number }).code).toBe(40060);

    const late = discord.invokeCommand({ guildId: guild.id, channelId: guild.channel('c').id, member, name: 'go' });
    await discord.waitFor(() => late.deadlineMet === false || undefined, 2000, 'the deadline to pass');
    const tooLate = await cb(late, { type: 4, data: { content: 'late' } });
    expect(tooLate.status).toBe(404);
    expect(((await tooLate.json()) as { code: number }).code).toBe(10062);
  });
});

interface Frame {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A bare gateway client: collects frames and the close code. */
function rawGateway(url: string, query = 'v=10&encoding=json') {
  const ws = new WebSocket(`${url}?${query}`);
  const frames: Frame[] = [];
  const state: { closed?: number } = {};
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  ws.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    notify();
  });
  ws.on('close', (code) => {
    state.closed = code;
    notify();
  });
  const until = <T>(check: () => T | undefined, what: string, timeoutMs = 3000) =>
    new Promise<T>((resolve, reject) => {
      const run = () => {
        const v = check();
        if (v === undefined) return;
        listeners.delete(run);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        listeners.delete(run);
        reject(new Error(`raw gateway: no ${what}`));
      }, timeoutMs);
      listeners.add(run);
      run();
    });
  return {
    ws,
    frames,
    send: (payload: unknown) => ws.send(JSON.stringify(payload)),
    frame: (pred: (f: Frame) => boolean, what: string) => until(() => frames.find(pred), what),
    closed: () => until(() => state.closed, 'close'),
    dispatches: () => frames.filter((f) => f.op === 0).map((f) => f.t),
  };
}

describe('discord double gateway', () => {
  let discord: DiscordDouble;
  beforeAll(async () => {
    discord = await startDiscordDouble({ heartbeatMs: 100 });
  });
  afterAll(async () => {
    await discord?.close();
  });
  const identify = (g: ReturnType<typeof rawGateway>, d: Record<string, unknown> = {}) =>
    g.send({ op: 2, d: { token: discord.botToken, intents: 1, properties: { os: 'linux' }, ...d } });

  it.each([
    ['a wrong token', { token: 'nope' }, 4004],
    ['a privileged intent the app lacks', { intents: 1 | (1 << 15) }, 4014],
    ['an impossible shard', { shard: [2, 2] }, 4010],
  ])('closes on %s', async (_name, d, code) => {
    const g = rawGateway(discord.gatewayUrl);
    await g.frame((f) => f.op === 10, 'HELLO');
    identify(g, d);
    expect(await g.closed()).toBe(code);
  });

  it('says HELLO, ACKs heartbeats, sends READY then GUILD_CREATE only for guilds on its shard', async () => {
    // Guild ids chosen so that (id >> 22) % 2 differs.
    const even = discord.addGuild({ name: 'even', id: String(2n << 22n) });
    const odd = discord.addGuild({ name: 'odd', id: String(3n << 22n) });
    const g = rawGateway(discord.gatewayUrl);
    const hello = await g.frame((f) => f.op === 10, 'HELLO');
    expect((hello.d as { heartbeat_interval: number }).heartbeat_interval).toBe(100);
    g.send({ op: 1, d: null });
    await g.frame((f) => f.op === 11, 'heartbeat ACK');
    identify(g, { shard: [1, 2] });
    const ready = await g.frame((f) => f.t === 'READY', 'READY');
    const d = ready.d as {
      guilds: { id: string }[];
      shard: number[];
      session_id: string;
      resume_gateway_url: string;
      application: { id: string };
    };
    expect(d.guilds.map((x) => x.id)).toEqual([odd.id]);
    expect(d.shard).toEqual([1, 2]);
    expect(d.application.id).toBe(discord.applicationId);
    const create = await g.frame((f) => f.t === 'GUILD_CREATE', 'GUILD_CREATE');
    expect((create.d as { id: string; members: { user: { id: string } }[] }).id).toBe(odd.id);
    expect((create.d as { members: { user: { id: string } }[] }).members.map((m) => m.user.id)).toContain(
      discord.botUser.id,
    );
    expect(g.dispatches()).not.toContain(undefined);
    discord.addChannel(even.id, { name: 'not-mine' });
    discord.addChannel(odd.id, { name: 'mine' });
    const created = await g.frame((f) => f.t === 'CHANNEL_CREATE', 'CHANNEL_CREATE');
    expect((created.d as { name: string }).name).toBe('mine');
    discord.requestHeartbeat();
    await g.frame((f) => f.op === 1, 'heartbeat request');
    discord.reconnectGateway();
    await g.frame((f) => f.op === 7, 'RECONNECT');
    g.ws.close(4200);
    await g.closed();

    // Resume on the resume URL replays what was missed; an unknown session gets op 9.
    discord.addChannel(odd.id, { name: 'missed' });
    const r = rawGateway(d.resume_gateway_url);
    await r.frame((f) => f.op === 10, 'HELLO');
    r.send({ op: 6, d: { token: discord.botToken, session_id: d.session_id, seq: ready.s } });
    await r.frame((f) => f.t === 'RESUMED', 'RESUMED');
    expect(r.dispatches()).toEqual(['GUILD_CREATE', 'CHANNEL_CREATE', 'CHANNEL_CREATE', 'RESUMED']);
    const u = rawGateway(discord.gatewayUrl);
    await u.frame((f) => f.op === 10, 'HELLO');
    u.send({ op: 6, d: { token: discord.botToken, session_id: 'unknown', seq: 1 } });
    expect((await u.frame((f) => f.op === 9, 'INVALID_SESSION')).d).toBe(false);
    for (const x of [r, u]) x.ws.close(1000);
  });

  it('compresses with zlib-stream when asked to', async () => {
    const ws = new WebSocket(`${discord.gatewayUrl}?v=10&encoding=json&compress=zlib-stream`);
    const first = await new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
    expect(first.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))).toBe(true);
    const hello = JSON.parse(inflateSync(first, { finishFlush: 2 }).toString()) as Frame;
    expect(hello.op).toBe(10);
    ws.close(1000);
  });
});
