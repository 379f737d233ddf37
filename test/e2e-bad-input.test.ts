/**
 * Bad input end to end: every refusal gets its own sentence, ephemerally, sends nothing to Wings, leaves no
 * half-written binding behind, and nothing the bot says or logs contains a key, the bot token or a JWT.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, closedPort, findSecrets, JWT_SHAPE, replyText, run, runText } from './e2e/helpers.ts';

type PanelServer = ReturnType<World['addPanelServer']>['server'];

describe('bad input end to end', () => {
  let world: World;
  let survival: PanelServer;
  let creative: PanelServer;
  const keys: string[] = [];

  /** The bindings the store holds for the guild, by name. */
  const storedNames = async () =>
    (await world.bot.store.bindings.listByGuild(world.guild.id)).map((r) => (r.ok ? r.binding.name : r.name)).sort();

  beforeAll(async () => {
    world = await startWorld();
    await world.startBot();
    const a = world.addPanelServer('Survival');
    const b = world.addPanelServer('Creative');
    survival = a.server;
    creative = b.server;
    keys.push(a.apiKey, b.apiKey);
    const console = world.guild.channel('console').id;
    expect(await replyText(await world.bind('Survival', survival, a.apiKey, { console_channel: console }))).toMatch(
      /^Bound/,
    );
    expect(await replyText(await world.bind('Creative', creative, b.apiKey, { console_channel: console }))).toMatch(
      /^Bound/,
    );
    await eventually(
      () =>
        world.panel.metrics.openSockets(survival.uuid) === 1 && world.panel.metrics.openSockets(creative.uuid) === 1,
      'both sockets',
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  describe('/server add refusals', () => {
    interface Case {
      what: string;
      /** Options over a valid add of a fresh server named "Fresh" with its own owner key. */
      options: (fresh: { server: PanelServer; apiKey: string }) => Record<string, string>;
      reply: RegExp;
      server?: { suspended?: boolean; installing?: boolean };
    }
    const cases: Case[] = [
      {
        what: 'a wrong API key',
        options: () => {
          const wrong = `ptlc_${randomBytes(32).toString('hex').slice(0, 43)}`;
          keys.push(wrong);
          return { api_key: wrong };
        },
        reply: /did not accept the API key \(wrong, deleted or expired\)/,
      },
      {
        what: 'an application key',
        options: ({ server }) => {
          const appKey = world.panel.addApiKey({ type: 'application', servers: { [server.identifier]: ['*'] } });
          keys.push(appKey);
          return { api_key: appKey };
        },
        reply: /That is an application API key; ptero-bridge needs a client key/,
      },
      {
        what: 'an unreachable panel',
        options: () => ({ panel_url: `http://127.0.0.1:${unreachablePort}` }),
        reply: /The panel at 127\.0\.0\.1:\d+ refused the connection \(nothing is listening there\)/,
      },
      {
        what: 'a panel URL with a path',
        options: ({ server }) => ({ panel_url: `${world.panel.panelUrl}/server/${server.identifier}` }),
        reply:
          /Use the panel's base address http:\/\/127\.0\.0\.1:\d+, not a page inside it \(the server, \w+, is chosen/,
      },
      {
        what: 'a panel URL with credentials',
        options: () => ({ panel_url: world.panel.panelUrl.replace('http://', 'http://admin:hunter2secret@') }),
        reply: /must not contain a user name or password/,
      },
      {
        what: 'http:// to a remote host',
        options: () => ({ panel_url: 'http://panel.example.com' }),
        reply: /must be reached over https \(use https:\/\/panel\.example\.com\)/,
      },
      {
        what: 'the same server bound twice',
        options: () => ({ server_id: survival.identifier, api_key: keys[0] ?? '' }),
        reply: /This server is already bound here as “Survival”/,
      },
      {
        what: 'a duplicate binding name (other case)',
        options: () => ({ name: 'survival' }),
        reply: /^A server is already bound here as “Survival”; choose another name or remove it first\.$/,
      },
      {
        what: 'a suspended server',
        options: () => ({}),
        server: { suspended: true },
        reply: /^Fresh is suspended on the panel; it cannot be bound until it is unsuspended\.$/,
      },
      {
        what: 'a server still installing',
        options: () => ({}),
        server: { installing: true },
        reply: /^Fresh is still installing; bind it once the installation has finished\.$/,
      },
      {
        what: 'a name with a mention character',
        options: () => ({ name: 'Sur@vival' }),
        reply: /^The name must be 1-32 characters without line breaks, @, #, : or backticks \(e\.g\. Survival\)\.$/,
      },
      {
        what: 'a malformed server id',
        options: () => ({ server_id: 'survival' }),
        reply: /^The server id is the 8-character identifier in the panel address/,
      },
      {
        what: 'a server id the panel does not know',
        options: () => ({ server_id: 'deadbeef' }),
        reply:
          /^Server deadbeef was not found on 127\.0\.0\.1:\d+, or the API key's user neither owns it nor is a subuser of it\.$/,
      },
      {
        what: 'something that is not an API key',
        options: () => ({ api_key: 'hello there' }),
        reply: /^That does not look like a panel client API key: it should start with ptlc_/,
      },
      {
        what: 'a key without websocket.connect',
        options: ({ server }) => {
          const key = world.panel.addApiKey({ servers: { [server.identifier]: ['control.console'] } });
          keys.push(key);
          return { api_key: key };
        },
        reply: /^The API key's user lacks the websocket\.connect permission on server \w+ at 127\.0\.0\.1:\d+/,
      },
      {
        what: 'a channel the bot cannot post in',
        options: () => ({ console_channel: mutedChannel }),
        reply: /^The bot cannot post in <#\d+>: it lacks Send Messages there\./,
      },
    ];
    let unreachablePort = 0;
    let mutedChannel = '';

    beforeAll(async () => {
      unreachablePort = await closedPort();
      mutedChannel = world.discord.addChannel(world.guild.id, { name: 'read-only', botCanSend: false }).id;
    });

    it.each(cases)('$what', async ({ options, reply, server: state }) => {
      const fresh = world.panel.addServer({ name: 'Fresh', ...state });
      const apiKey = world.panel.addApiKey({ servers: { [fresh.identifier]: ['*'] } });
      keys.push(apiKey);
      const handle = run(world, {
        name: 'server',
        subcommand: 'add',
        options: {
          name: 'Fresh',
          panel_url: world.panel.panelUrl,
          server_id: fresh.identifier,
          api_key: apiKey,
          ...options({ server: fresh, apiKey }),
        },
      });
      const text = await replyText(handle, (t) => !t.startsWith('Bound'));
      expect(text).toMatch(reply);
      expect(handle.ephemeral).toBe(true);
      expect(await storedNames()).toEqual(['Creative', 'Survival']);
      expect(world.panel.metrics.openSockets(fresh.uuid)).toBe(0);
      expect(world.bot.bridge.liveBindings()).toHaveLength(2);
    });

    it('/server list afterwards shows only the two real bindings', async () => {
      const handle = run(world, { name: 'server', subcommand: 'list' });
      const embed = await eventually(() => handle.final()?.embeds?.[0] as { fields?: { name: string }[] }, 'list');
      expect((embed.fields ?? []).map((f) => f.name).sort()).toEqual(['Creative', 'Survival']);
    });
  });

  describe('commands a member may not run', () => {
    const commands: Array<{ title: string; name: string; subcommand?: string; options?: Record<string, string> }> = [
      { title: '/start', name: 'start', options: { server: 'Survival' } },
      { title: '/stop', name: 'stop', options: { server: 'Survival' } },
      { title: '/restart', name: 'restart', options: { server: 'Survival' } },
      { title: '/kill', name: 'kill', options: { server: 'Survival' } },
      { title: '/cmd', name: 'cmd', options: { server: 'Survival', command: 'op bob' } },
      { title: '/server list', name: 'server', subcommand: 'list' },
      { title: '/server remove', name: 'server', subcommand: 'remove', options: { server: 'Survival' } },
    ];
    it.each(commands)('$title is refused for a plain member even past a guild override', async (c) => {
      const handle = run(world, { ...c, member: world.member, bypassPermissions: true });
      const text = await replyText(handle);
      expect(text).toMatch(
        c.name === 'server'
          ? /^Only members with the Manage Server or Administrator permission can manage bound servers\.$/
          : /^Only moderators can do that: it needs the Manage Server permission\.$/,
      );
      expect(handle.ephemeral).toBe(true);
      expect(actionFrames(world, survival.uuid)).toEqual([]);
      expect(survival.state).toBe('offline');
    });

    it('the double itself refuses to deliver them without an override (default_member_permissions)', () => {
      expect(() => run(world, { name: 'start', member: world.member })).toThrow(/cannot see \/start/);
    });
  });

  describe('naming the server', () => {
    it('an unknown server name lists what is bound', async () => {
      const text = await runText(world, { name: 'start', options: { server: 'Skyblock' } });
      expect(text).toBe('No bound server is called “Skyblock”. Bound here: “Survival”, “Creative”.');
    });

    it('several bindings and no `server` option asks which one', async () => {
      const text = await runText(world, { name: 'stats' });
      expect(text).toBe(
        'Several servers are bound here (“Survival”, “Creative”); say which one with the `server` option.',
      );
    });
  });

  describe('the server is not in a state for it', () => {
    it('/cmd while offline is refused before anything is sent', async () => {
      const text = await runText(world, { name: 'cmd', options: { server: 'Survival', command: 'say hi' } });
      expect(text).toBe('Survival is offline; start it before sending commands.');
      expect(actionFrames(world, survival.uuid)).toEqual([]);
    });

    it('/stop while offline says it is already offline', async () => {
      const text = await runText(world, { name: 'stop', options: { server: 'Survival' } });
      expect(text).toBe('Survival is already offline.');
      expect(actionFrames(world, survival.uuid)).toEqual([]);
    });

    it('a bound server suspended on the panel is refused with the reason', async () => {
      creative.suspend();
      await eventually(() => world.panel.metrics.openSockets(creative.uuid) === 0, 'the socket to drop');
      const text = await runText(world, { name: 'start', options: { server: 'Creative' } });
      expect(text).toBe('Creative is not connected: The server is suspended on the panel.');
      expect(actionFrames(world, creative.uuid)).toEqual([]);
      expect(creative.state).toBe('offline');
    });
  });

  describe('a key without every permission', () => {
    let limited: PanelServer;
    beforeAll(async () => {
      limited = world.panel.addServer({ name: 'Limited' });
      const key = world.panel.addApiKey({ servers: { [limited.identifier]: ['websocket.connect', 'control.start'] } });
      keys.push(key);
      const text = await replyText(await world.bind('Limited', limited, key));
      expect(text).toMatch(/^Bound \*\*Limited\*\*/);
      expect(text).toContain('Key permissions: websocket.connect, control.start.');
      expect(text).toContain('⚠️ the key lacks control.console: /cmd will not work.');
      expect(text).toContain('⚠️ the key lacks control.stop: /stop and /kill will not work.');
      expect(text).toContain('⚠️ the key lacks control.restart: /restart will not work.');
      expect(await runText(world, { name: 'start', options: { server: 'Limited' } }, (t) => t.includes('✅'))).toBe(
        '**Limited**: starting… running ✅',
      );
    });

    it.each([
      ['cmd', { command: 'say hi' }, 'The API key is not allowed to send console commands to this server.'],
      ['stop', {}, 'The API key is not allowed to stop this server.'],
      ['kill', {}, 'The API key is not allowed to kill this server.'],
      ['restart', {}, 'The API key is not allowed to restart this server.'],
    ])('/%s is refused with the missing permission before anything is sent', async (name, options, sentence) => {
      const before = actionFrames(world, limited.uuid).length;
      const text = await runText(world, { name, options: { server: 'Limited', ...options } });
      expect(text).toBe(sentence);
      expect(actionFrames(world, limited.uuid)).toHaveLength(before);
      expect(limited.state).toBe('running');
    });
  });

  it('no reply, log line or error contains an API key, the bot token or a JWT', async () => {
    // Make sure JWTs were minted and used, and that the grep recognises one, so it has something to miss.
    expect(world.panel.metrics.wsTokenRequests(survival.identifier)).toBeGreaterThan(0);
    const minted = await fetch(`${world.panel.panelUrl}/api/client/servers/${survival.identifier}/websocket`, {
      headers: { Authorization: `Bearer ${keys[0]}`, Accept: 'application/json' },
    }).then((r) => r.json() as Promise<{ data: { token: string } }>);
    expect(minted.data.token).toMatch(JWT_SHAPE);
    expect(world.logs.lines.length).toBeGreaterThan(50);
    expect(findSecrets(world, [...keys, world.discord.botToken, 'hunter2secret'])).toEqual([]);
  });
});

describe('a panel host outside PANEL_URL_ALLOWLIST', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ env: { PANEL_URL_ALLOWLIST: 'panel.example.com' } });
    await world.startBot();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is refused by name before any request reaches it', async () => {
    const { server, apiKey } = world.addPanelServer('Survival');
    const text = await replyText(await world.bind('Survival', server, apiKey));
    expect(text).toBe(
      "The panel host 127.0.0.1 is not on this bot's allowed list (PANEL_URL_ALLOWLIST); ask the bot's operator to add it.",
    );
    expect(world.panel.metrics.requests()).toBe(0);
    expect(await world.bot.store.bindings.listByGuild(world.guild.id)).toEqual([]);
    expect(findSecrets(world, [apiKey, world.discord.botToken])).toEqual([]);
  });
});
