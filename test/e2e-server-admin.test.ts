/**
 * Managing bindings end to end: the moderator role, what /server list shows, autocomplete of `server`, /server remove
 * closing the socket, and the bot leaving a guild closing exactly that guild's sockets. Commands are registered globally
 * here (no DISCORD_GUILD_ID) so a second guild can use them too.
 */
import type { APIEmbed } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuildHandle } from './doubles/discord/index.ts';
import { eventually, startWorld, type World } from './e2e/harness.ts';
import { actionFrames, findSecrets, replyText, run } from './e2e/helpers.ts';

type PanelServer = ReturnType<World['addPanelServer']>['server'];

describe('managing bindings end to end', () => {
  let world: World;
  let survival: PanelServer;
  let creative: PanelServer;
  let lobby: PanelServer;
  let otherGuild: GuildHandle;
  const keys: string[] = [];

  beforeAll(async () => {
    world = await startWorld();
    delete world.env.DISCORD_GUILD_ID;
    await world.startBot();
    const a = world.addPanelServer('Survival');
    const b = world.addPanelServer('Creative');
    const c = world.addPanelServer('Lobby');
    ({ server: survival } = a);
    ({ server: creative } = b);
    ({ server: lobby } = c);
    keys.push(a.apiKey, b.apiKey, c.apiKey);
    const consoleChannel = world.guild.channel('console').id;
    const bound = await world.bind('Survival', survival, a.apiKey, {
      console_channel: consoleChannel,
      moderator_role: world.modRole.id,
    });
    expect(await replyText(bound)).toContain('Moderators: <@&');
    expect(await replyText(await world.bind('Creative', creative, b.apiKey))).toMatch(/^Bound/);

    // A second guild with its own binding: it must outlive the first guild's kick.
    otherGuild = world.discord.addGuild({ name: 'Elsewhere', channels: ['general'] });
    await eventually(() => world.bot.client.guilds.cache.has(otherGuild.id), 'the bot to see the second guild');
    const other = world.discord.invokeCommand({
      guildId: otherGuild.id,
      channelId: otherGuild.channel('general').id,
      member: otherGuild.owner,
      name: 'server',
      subcommand: 'add',
      options: { name: 'Lobby', panel_url: world.panel.panelUrl, server_id: lobby.identifier, api_key: c.apiKey },
    });
    expect(await replyText(other)).toMatch(/^Bound \*\*Lobby\*\*/);
    await eventually(
      () => [survival, creative, lobby].every((s) => world.panel.metrics.openSockets(s.uuid) === 1),
      'three sockets',
    );
  });
  afterAll(async () => {
    await world?.close();
  });

  describe('the moderator role', () => {
    it('lets a member with the binding’s moderator_role start the server (past a guild override)', async () => {
      const handle = run(world, {
        name: 'start',
        member: world.moderator,
        options: { server: 'Survival' },
        bypassPermissions: true,
      });
      expect(await replyText(handle, (t) => t.includes('✅') || t.includes(' — '))).toBe(
        '**Survival**: starting… running ✅',
      );
      expect(survival.state).toBe('running');
    });

    it('refuses a member without it, naming the role', async () => {
      const before = actionFrames(world, survival.uuid).length;
      const handle = run(world, {
        name: 'stop',
        member: world.member,
        options: { server: 'Survival' },
        bypassPermissions: true,
      });
      expect(await replyText(handle)).toBe(
        `Only moderators can do that: it needs the Manage Server permission or the <@&${world.modRole.id}> role.`,
      );
      expect(handle.ephemeral).toBe(true);
      expect(actionFrames(world, survival.uuid)).toHaveLength(before);
      expect(survival.state).toBe('running');
    });

    it('does not extend to a binding that has no moderator role', async () => {
      const handle = run(world, {
        name: 'start',
        member: world.moderator,
        options: { server: 'Creative' },
        bypassPermissions: true,
      });
      expect(await replyText(handle)).toBe('Only moderators can do that: it needs the Manage Server permission.');
      expect(actionFrames(world, creative.uuid)).toEqual([]);
    });

    it('does not open /server to moderators', async () => {
      const handle = run(world, {
        name: 'server',
        subcommand: 'list',
        member: world.moderator,
        bypassPermissions: true,
      });
      expect(await replyText(handle)).toMatch(/^Only members with the Manage Server or Administrator permission/);
    });
  });

  describe('/server list', () => {
    it('shows name, panel host, console channel, connection state and last error — never the key', async () => {
      creative.suspend();
      // First the dropped socket (1006) is the last error; the reconnect then learns why from the panel.
      await eventually(
        () =>
          world.bot.bridge
            .liveBindings()
            .find((l) => l.binding.name === 'Creative')
            ?.lastError?.includes('suspended'),
        'the suspension to be noticed',
      );
      const handle = run(world, { name: 'server', subcommand: 'list' });
      const embed = await eventually(() => handle.final()?.embeds?.[0] as APIEmbed | undefined, 'the list embed');
      expect(handle.ephemeral).toBe(true);
      const fields = Object.fromEntries((embed.fields ?? []).map((f) => [f.name, f.value]));
      expect(Object.keys(fields).sort()).toEqual(['Creative', 'Survival']);
      const host = new URL(world.panel.panelUrl).host;
      expect(fields.Survival).toContain(`Panel: ${host} · \`${survival.identifier}\``);
      expect(fields.Survival).toContain(`Console: <#${world.guild.channel('console').id}>`);
      expect(fields.Survival).toContain(`Moderators: <@&${world.modRole.id}>`);
      expect(fields.Survival).toMatch(/Connection: connected · .*running/);
      expect(fields.Survival).not.toContain('Last error');
      expect(fields.Creative).toContain(`Console: <#${world.guild.channel('general').id}>`);
      expect(fields.Creative).toMatch(/Connection: stopped · /);
      expect(fields.Creative).toContain('Last error: The server is suspended on the panel.');
      const all = JSON.stringify(embed);
      // Neither the key nor its secret half (after the 16-character identifier).
      for (const key of keys) expect(all).not.toContain(key.slice(21));
    });
  });

  describe('autocomplete of `server`', () => {
    const complete = (input: { name: string; subcommand?: string; value: string; member?: World['admin'] }) =>
      world.discord
        .autocomplete({
          guildId: world.guild.id,
          channelId: world.guild.channel('general').id,
          member: input.member ?? world.admin,
          name: input.name,
          ...(input.subcommand ? { subcommand: input.subcommand } : {}),
          options: { server: input.value },
          focused: 'server',
        })
        .waitForChoices();

    it("offers the guild's bindings, filtered by what was typed, and not another guild's", async () => {
      expect((await complete({ name: 'start', value: '' })).map((c) => c.name).sort()).toEqual([
        'Creative',
        'Survival',
      ]);
      expect(await complete({ name: 'stats', value: 'surv' })).toEqual([{ name: 'Survival', value: 'Survival' }]);
      expect(await complete({ name: 'cmd', value: 'lobby' })).toEqual([]);
    });

    it('offers /server remove choices to admins and nothing to other members', async () => {
      expect((await complete({ name: 'server', subcommand: 'remove', value: '' })).map((c) => c.name).sort()).toEqual([
        'Creative',
        'Survival',
      ]);
      expect(await complete({ name: 'server', subcommand: 'remove', value: '', member: world.member })).toEqual([]);
      expect(await complete({ name: 'server', subcommand: 'remove', value: '', member: world.moderator })).toEqual([]);
    });
  });

  describe('/server remove', () => {
    it('unbinds, deletes the stored binding and closes its socket', async () => {
      const handle = run(world, { name: 'server', subcommand: 'remove', options: { server: 'survival' } });
      expect(await replyText(handle)).toBe(
        'Unbound **Survival**; its console feed has stopped and its API key is deleted.',
      );
      await eventually(() => world.panel.metrics.openSockets(survival.uuid) === 0, 'the socket to close');
      const names = (await world.bot.store.bindings.listByGuild(world.guild.id)).map((r) =>
        r.ok ? r.binding.name : r.name,
      );
      expect(names).toEqual(['Creative']);
      expect(
        world.bot.bridge
          .liveBindings()
          .map((l) => l.binding.name)
          .sort(),
      ).toEqual(['Creative', 'Lobby']);
    });

    it('an unknown name is refused and removes nothing', async () => {
      const handle = run(world, { name: 'server', subcommand: 'remove', options: { server: 'Survival' } });
      expect(await replyText(handle)).toBe('No bound server is called “Survival”.');
      expect(await world.bot.store.bindings.listByGuild(world.guild.id)).toHaveLength(1);
    });
  });

  describe('the bot leaving a guild', () => {
    it('a binding stopped by a suspension comes back on the next moderator command once the server is unsuspended', async () => {
      creative.unsuspend();
      // Only moderator commands reconnect a stopped socket (/stats, open to everyone, does not).
      const handle = run(world, { name: 'start', options: { server: 'Creative' } });
      expect(await replyText(handle, (t) => t.includes('✅') || t.includes(' — '))).toBe(
        '**Creative**: starting… running ✅',
      );
      expect(world.panel.metrics.openSockets(creative.uuid)).toBe(1);
    });

    it("closes that guild's sockets and keeps the other guild's", async () => {
      expect(world.panel.metrics.openSockets(creative.uuid)).toBe(1);
      world.discord.kickBot(world.guild.id);
      await eventually(
        () => world.panel.metrics.openSockets(creative.uuid) === 0,
        "the kicked guild's socket to close",
      );
      expect(world.bot.bridge.liveBindings().map((l) => l.binding.name)).toEqual(['Lobby']);
      expect(world.panel.metrics.openSockets(lobby.uuid)).toBe(1);
      // The binding itself stays stored: re-inviting the bot brings it back.
      expect(await world.bot.store.bindings.listByGuild(world.guild.id)).toHaveLength(1);
    });

    it('a guild that comes back and leaves again while its bindings load keeps no socket open', async () => {
      // Re-invited (same id) and kicked at once: GUILD_DELETE arrives while GUILD_CREATE's store read is in flight.
      let rejoined = false;
      world.bot.client.once('guildCreate', () => {
        rejoined = true;
      });
      world.discord.addGuild({ id: world.guild.id, name: 'Gamers again' });
      world.discord.kickBot(world.guild.id);
      await eventually(
        () => rejoined && !world.bot.client.guilds.cache.has(world.guild.id),
        'the bot to see the return and the second departure',
      );
      // The store serves one request at a time: once this read returns, the activation's read has returned too.
      await world.bot.store.bindings.listByGuild(world.guild.id);
      await new Promise((resolve) => setImmediate(resolve));
      expect(world.bot.bridge.liveBindings().map((l) => l.binding.name)).toEqual(['Lobby']);
      expect(world.bot.hub.size).toBe(1);
    });
  });

  it('no reply, log line or error contains an API key, the bot token or a JWT', () => {
    expect(findSecrets(world, [...keys, world.discord.botToken])).toEqual([]);
  });
});
