/**
 * Local double of Discord's REST v10 + gateway, for running the real discord.js bot against 127.0.0.1.
 *
 *   const discord = await startDiscordDouble({ heartbeatMs: 500, rateLimits: { messageCreate: { limit: 5, windowMs: 1000 } } });
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiBase } });
 *   await client.login(discord.botToken);
 *
 * Options (all optional): botToken, applicationId (default: the bot user's id, as for modern apps), botUsername,
 *   heartbeatMs (HELLO interval, default 1000), interactionDeadlineMs (3000), interactionTokenTtlMs (15 min),
 *   privilegedIntents (bitfield the app may use; default 0 → GuildMembers/Presences/MessageContent close with 4014),
 *   shards (recommended count in /gateway/bot, default 1), maxFileBytes (10 MiB),
 *   oldEditLimit ({ ageMs, maxEdits }: after maxEdits edits of a message older than ageMs, PATCH gets 400 30046; off by
 *   default because Discord does not publish the numbers),
 *   rateLimits: { global (50/1000 ms), messageCreate (5/5000 ms per channel), messageEdit (5/5000 ms per channel),
 *                 webhook (5/2000 ms per interaction token), interactionCallback (50/1000 ms), defaultRoute (50/1000 ms) }.
 *
 * Properties: apiBase ('http://127.0.0.1:PORT/api' — discord.js appends /v10), gatewayUrl, botToken, applicationId,
 *   botUser ({ id, username }), world (raw state), rest/gateway internals for unusual assertions.
 *
 * World set-up (each change is dispatched on the gateway like Discord would, filtered by intents and shard):
 *   addGuild({ name, ownerId?, channels?: (string | ChannelInput)[], roles?: RoleInput[], botPermissions?, id? }) → GuildHandle
 *     { id, name, ownerId, owner, everyoneRoleId, botRoleId, channels, roles, channel(name), role(name) }. With no
 *     channels a 'general' text channel is created. The bot joins with a managed role holding botPermissions
 *     (default: view/send/embed/attach/history/mention-everyone/reactions/external emoji). GUILD_CREATE if connected.
 *   addChannel(guildId, { name, type?, topic?, parentId?, botCanSend?, overwrites? }) → ChannelRecord (CHANNEL_CREATE).
 *     botCanSend:false = an overwrite denying SEND_MESSAGES to the bot → POST messages gets 403 50013.
 *   updateChannel(channelId, { name?, topic?, botCanSend? }) (CHANNEL_UPDATE); deleteChannel(channelId) (CHANNEL_DELETE).
 *   addRole(guildId, { name, permissions?, mentionable?, color? }) (GUILD_ROLE_CREATE); updateRole(guildId, roleId, patch);
 *   deleteRole(guildId, roleId). Permissions: bigint | number | string | ['Administrator', …] (PermissionFlagsBits keys).
 *   addMember(guildId, { username, roles?, permissions? }) → MemberRecord; `permissions` creates a personal role.
 *   setMemberRoles(guildId, userId, roleIds); permissionsOf(guildId, userId, channelId?) → bigint (Discord's algorithm:
 *     @everyone + roles, Administrator/owner = all, channel overwrites).
 *   kickBot(guildId) → GUILD_DELETE; the bot leaving via DELETE /users/@me/guilds/:id does the same.
 *
 * Interactions (each returns an InteractionHandle; the payload carries everything discord.js reads):
 *   invokeCommand({ guildId, channelId, member, name, options?, subcommand?, subcommandGroup?, locale?, bypassPermissions? })
 *     The command must be registered (global or guild); option types, choices and required-ness come from it; users/roles/
 *     channels options get `resolved`. Throws if Discord would not let the member run it (default_member_permissions).
 *   autocomplete({ ...same, focused }) → handle; await handle.waitForChoices().
 *   clickButton({ guildId, channelId, member, messageId, customId }) → type 3 with the message; selectMenu({ …, values }).
 *   InteractionHandle: id, token, payload, responses[] (callback, edits, follow-ups, deletes in order: kind, callbackType,
 *     messageId, content, embeds, components, flags, ephemeral, attachments, choices, modal, body, at),
 *     waitForReply(predicate?, timeoutMs?), waitForChoices(), final() (the @original message now), followups(),
 *     ephemeral, acknowledged, ackType, deadlineMet (true/false, undefined while still inside the 3 s window).
 *   Discord rules enforced: callback after the deadline → 404 10062; second callback → 400 40060; wrong callback type for
 *   the interaction → 400 50035; webhook before the first callback → 404 10015, after the token TTL → 401 50027; the first
 *   follow-up after a type-5 defer fills the "thinking" message; interaction messages default to allowed mentions = users.
 *
 * Observing: messages(channelId, { includeEphemeral?, includeDeleted? }) → StoredMessage[] (content, embeds, components,
 *   flags, allowedMentions, attachments [{ filename, size, contentType, content: Buffer }], author, createdAt, editedAt,
 *   edits[], pinged { everyone, users[], roles[] } = who WOULD be notified, mentionedUsers/Roles, ephemeral, deleted);
 *   message(id); deleteMessage(id) (a moderator deletes it: MESSAGE_DELETE, later edits get 404 10008);
 *   waitForMessage(channelId, predicate, timeoutMs); registeredCommands(guildId?) (no guildId = global);
 *   guild(guildId) → GuildHandle; waitFor(check, timeoutMs) — resolves when check() returns non-undefined, re-checked on
 *   every request, gateway event, message change and interaction (NOT on discord.js-side state: wait on client events).
 *   pinged follows Discord: computed at creation from content + allowed_mentions (default for bot messages: users,
 *   roles, everyone; for interaction responses/follow-ups: users), @everyone/@here and non-mentionable roles only with
 *   the bot's MENTION_EVERYONE; edits, ephemeral messages and "thinking" placeholders never ping; a message with
 *   SUPPRESS_NOTIFICATIONS still lists its pings (Discord highlights them, only the push is skipped) — check `flags`.
 *   metrics: { requests, requestsByRoute (Map 'METHOD /template' → n), requestLog, rateLimited (429s sent),
 *     globalRateLimited, invalidRequests (401/403/429), identifies, identifyLog, resumes, failedResumes, heartbeats,
 *     connections, gatewayCloseCodes, clientCloseCodes, commandPuts }.
 *
 * Gateway control: closeGateway(code) (4000 resumable; 4004/4014 fatal; 4009/4007 end the session so a resume gets op 9),
 *   reconnectGateway() (op 7), invalidateSession(resumable) (op 9), requestHeartbeat() (op 1), liveSessions().
 *
 * Faults: faults.failNext({ route, status, count?, retryAfterMs?, global? }) — the next `count` requests matching
 *   `route` ('POST /channels/:channel/messages', '/channels/:channel/messages', or a RegExp on 'METHOD /actual/path')
 *   get `status` (5xx JSON, or a 429 with Retry-After; `body` overrides the JSON, e.g. { message, code: 20028 });
 *   faults.latency({ route?, ms }) delays matching requests; faults.clear().
 *
 * Rate limits: fixed windows that open with the first request; message create and message edit are separate buckets
 * per channel; interaction callbacks and interaction webhooks skip the global limit and bot auth. /gateway/bot returns
 * url ws://127.0.0.1:PORT/gateway (discord.js appends ?v=10&encoding=json); READY's resume_gateway_url is …/resume.
 *
 * close() stops everything. Every id is a snowflake that sorts by creation time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandStore } from './commands.ts';
import { Gateway } from './gateway.ts';
import { type FaultRule, type LatencyRule, RestServer } from './http.ts';
import { InteractionHandle, InteractionRegistry } from './interactions.ts';
import {
  type AutocompleteInput,
  type BaseInvoke,
  baseInteraction,
  canSeeCommand,
  commandData,
  findComponent,
  type InvokeCommandInput,
} from './invoke.ts';
import { deleteMessage } from './messages.ts';
import { type StoredMessage, World } from './model.ts';
import type { Limit } from './ratelimit.ts';
import { registerRestRoutes } from './rest-routes.ts';
import { randomToken, Signal, snowflake, waitUntil } from './util.ts';
import { createWorldApi } from './world-api.ts';

export type { InteractionHandle, InteractionResponse } from './interactions.ts';
export type { ChannelRecord, GuildRecord, MemberRecord, RoleRecord, StoredMessage } from './model.ts';
export type { ChannelInput, GuildHandle, RoleInput } from './world-api.ts';

export interface RateLimitOptions {
  global?: Limit;
  messageCreate?: Limit;
  messageEdit?: Limit;
  webhook?: Limit;
  interactionCallback?: Limit;
  defaultRoute?: Limit;
}

export interface DiscordDoubleOptions {
  botToken?: string;
  applicationId?: string;
  botUsername?: string;
  heartbeatMs?: number;
  interactionDeadlineMs?: number;
  interactionTokenTtlMs?: number;
  privilegedIntents?: number;
  shards?: number;
  maxFileBytes?: number;
  rateLimits?: RateLimitOptions;
  oldEditLimit?: { ageMs: number; maxEdits: number };
}

export type DiscordDouble = Awaited<ReturnType<typeof startDiscordDouble>>;

export async function startDiscordDouble(options: DiscordDoubleOptions = {}) {
  const botToken =
    options.botToken ?? `${Buffer.from(snowflake()).toString('base64url')}.${randomToken(4)}.${randomToken(27)}`;
  const botUser = { id: snowflake(), username: options.botUsername ?? 'ptero-double', globalName: null, bot: true };
  const applicationId = options.applicationId ?? botUser.id;
  const rl = options.rateLimits ?? {};
  const rateLimits = {
    global: rl.global ?? { limit: 50, windowMs: 1000 },
    messageCreate: rl.messageCreate ?? { limit: 5, windowMs: 5000 },
    messageEdit: rl.messageEdit ?? { limit: 5, windowMs: 5000 },
    webhook: rl.webhook ?? { limit: 5, windowMs: 2000 },
    interactionCallback: rl.interactionCallback ?? { limit: 50, windowMs: 1000 },
    defaultRoute: rl.defaultRoute ?? { limit: 50, windowMs: 1000 },
  };
  const limits = { maxFileBytes: options.maxFileBytes ?? 10 * 1024 * 1024 };
  const deadlineMs = options.interactionDeadlineMs ?? 3000;
  const tokenTtlMs = options.interactionTokenTtlMs ?? 15 * 60 * 1000;

  const world = new World(botUser);
  const commands = new CommandStore(applicationId);
  const rest = new RestServer({ botToken, globalLimit: rateLimits.global, maxRequestBytes: 25 * 1024 * 1024 });
  const interactions = new InteractionRegistry({ world, applicationId, limits, rateLimits });
  const anything = new Signal();
  let port = 0;
  const gateway = new Gateway({
    world,
    botToken,
    applicationId,
    heartbeatMs: options.heartbeatMs ?? 1000,
    privilegedIntents: options.privilegedIntents ?? 0,
    resumeUrl: () => `ws://127.0.0.1:${port}/resume`,
  });
  world.dispatch = (guildId, t, d) => {
    gateway.dispatch(guildId, t, d);
  };
  gateway.signal.subscribe(() => anything.notify());
  world.messageSignal.subscribe(() => anything.notify());
  interactions.signal.subscribe(() => anything.notify());

  const removeBot = (guildId: string) => {
    const guild = world.guild(guildId);
    if (!guild.botPresent) return;
    guild.botPresent = false;
    guild.members.delete(botUser.id);
    world.dispatch(guildId, 'GUILD_DELETE', { id: guildId });
  };

  let sessionStarts = 0;
  registerRestRoutes(rest, {
    world,
    applicationId,
    gatewayUrl: () => `ws://127.0.0.1:${port}/gateway`,
    shards: () => options.shards ?? 1,
    limits,
    rateLimits,
    removeBot,
    ...(options.oldEditLimit ? { oldEditLimit: options.oldEditLimit } : {}),
    sessionStartLimit: () => ({
      total: 1000,
      remaining: 1000 - sessionStarts,
      reset_after: 86_400_000,
      max_concurrency: 1,
    }),
  });
  commands.registerRoutes(rest, rateLimits.defaultRoute, (g) => world.guilds.get(g)?.botPresent === true);
  interactions.registerRoutes(rest);
  gateway.signal.subscribe(() => {
    sessionStarts = gateway.metrics.identifies;
  });

  const server: Server = createServer((req, res) => {
    void rest.handle(req, res).finally(() => anything.notify());
  });
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  const worldApi = createWorldApi(world, botUser, removeBot);
  const newInteraction = (i: BaseInvoke, type: number, data: Record<string, unknown>, sourceMessageId?: string) => {
    const guild = world.guild(i.guildId);
    if (!guild.botPresent) throw new Error(`discord double: the bot is not in guild ${i.guildId}`);
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${id}:${randomToken(48)}`;
    const base = baseInteraction(world, applicationId, i, id, token, type);
    const payload = { ...base.payload, data, ...(sourceMessageId ? { message: messageJsonFor(sourceMessageId) } : {}) };
    const handle = new InteractionHandle(
      world,
      id,
      token,
      type,
      i.guildId,
      i.channelId,
      base.member.user,
      payload,
      Date.now(),
      deadlineMs,
      tokenTtlMs,
      sourceMessageId,
    );
    interactions.add(handle);
    gateway.dispatch(i.guildId, 'INTERACTION_CREATE', payload);
    return handle;
  };
  const messageJsonFor = (id: string) => {
    const m = world.messages.get(id);
    if (!m) throw new Error(`discord double: no message ${id}`);
    return world.messageJson(m);
  };

  const componentInteraction = (
    i: BaseInvoke & { messageId: string; customId: string },
    extra: Record<string, unknown>,
    expectType: (t: unknown) => boolean,
  ) => {
    const message = world.messages.get(i.messageId);
    if (!message || message.deleted || message.channelId !== i.channelId) {
      throw new Error(`discord double: no message ${i.messageId} in channel ${i.channelId}`);
    }
    const component = findComponent(message, i.customId);
    if (!component || !expectType(component.type)) {
      throw new Error(`discord double: message ${i.messageId} has no such component ${i.customId}`);
    }
    if (component.disabled === true) throw new Error(`discord double: component ${i.customId} is disabled`);
    return newInteraction(i, 3, { custom_id: i.customId, component_type: component.type, ...extra }, message.id);
  };

  const double = {
    apiBase: `http://127.0.0.1:${port}/api`,
    gatewayUrl: `ws://127.0.0.1:${port}/gateway`,
    botToken,
    applicationId,
    botUser,
    world,
    rest,
    gateway,
    interactions,

    ...worldApi,
    invokeCommand(input: InvokeCommandInput): InteractionHandle {
      const { command, data } = commandData(world, commands, input);
      const member = typeof input.member === 'string' ? input.member : input.member.user.id;
      const perms = world.permissionsOf(input.guildId, member, input.channelId);
      if (!input.bypassPermissions && !canSeeCommand(perms, command.default_member_permissions)) {
        throw new Error(`discord double: member ${member} cannot see /${input.name} (default_member_permissions)`);
      }
      return newInteraction(input, 2, data);
    },
    autocomplete(input: AutocompleteInput): InteractionHandle {
      const { data } = commandData(world, commands, input, input.focused);
      return newInteraction(input, 4, data);
    },
    clickButton(input: BaseInvoke & { messageId: string; customId: string }): InteractionHandle {
      return componentInteraction(input, {}, (t) => t === 2);
    },
    selectMenu(input: BaseInvoke & { messageId: string; customId: string; values: string[] }): InteractionHandle {
      return componentInteraction(
        input,
        { values: input.values },
        (t) => typeof t === 'number' && [3, 5, 6, 7, 8].includes(t),
      );
    },

    messages(channelId: string, opts: { includeEphemeral?: boolean; includeDeleted?: boolean } = {}): StoredMessage[] {
      return (world.channelMessages.get(channelId) ?? []).filter(
        (m) => (opts.includeEphemeral || !m.ephemeral) && (opts.includeDeleted || !m.deleted),
      );
    },
    message(id: string): StoredMessage | undefined {
      return world.messages.get(id);
    },
    /** Someone (a moderator) deletes a message: MESSAGE_DELETE; the bot's next edit of it gets 404 10008. */
    deleteMessage(id: string): void {
      const m = world.messages.get(id);
      if (!m) throw new Error(`discord double: no message ${id}`);
      deleteMessage(world, m);
    },
    waitForMessage(
      channelId: string,
      predicate: (m: StoredMessage) => boolean = () => true,
      timeoutMs = 5000,
    ): Promise<StoredMessage> {
      return waitUntil(
        () => double.messages(channelId).find(predicate),
        world.messageSignal.subscribe,
        timeoutMs,
        `a message in channel ${channelId}`,
      );
    },
    waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'a condition'): Promise<T> {
      return waitUntil(
        () => {
          const v = check();
          return v === false ? undefined : v;
        },
        anything.subscribe,
        timeoutMs,
        what,
      );
    },
    registeredCommands(guildId?: string) {
      return commands.list(guildId ?? 'global');
    },

    closeGateway(code: number): void {
      gateway.closeAll(code);
    },
    reconnectGateway(): void {
      gateway.requestReconnect();
    },
    invalidateSession(resumable: boolean): void {
      gateway.invalidateSessions(resumable);
    },
    requestHeartbeat(): void {
      gateway.requestHeartbeat();
    },
    liveSessions() {
      return gateway.liveSessions();
    },

    faults: {
      failNext(rule: Omit<FaultRule, 'count'> & { count?: number }): void {
        rest.faults.push({ ...rule, count: rule.count ?? 1 });
      },
      latency(rule: LatencyRule): void {
        rest.latency.push(rule);
      },
      clear(): void {
        rest.faults.length = 0;
        rest.latency.length = 0;
      },
    },

    get metrics() {
      const m = rest.metrics;
      const g = gateway.metrics;
      return {
        requests: m.total,
        requestsByRoute: m.perRoute,
        requestLog: m.log,
        rateLimited: m.rateLimited,
        globalRateLimited: m.globalRateLimited,
        invalidRequests: m.invalid,
        identifies: g.identifies,
        identifyLog: g.identifyLog,
        resumes: g.resumes,
        failedResumes: g.failedResumes,
        heartbeats: g.heartbeats,
        connections: g.connections,
        gatewayCloseCodes: g.closeCodes,
        clientCloseCodes: g.clientCloseCodes,
        commandPuts: commands.puts,
      };
    },

    async close(): Promise<void> {
      gateway.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}
