/**
 * One seeded chaos run: set up the world, bind and start the servers through the bot, let people and servers act while
 * the seeded faults fire, stop the faults, let everything settle, stop the bot gracefully, then check the invariants.
 * Returns every figure and the list of broken invariants (empty = pass).
 */
import { readFile } from 'node:fs/promises';
import {
  type ActionFigures,
  accountInteractions,
  accountLines,
  correlateActions,
  type InteractionFigures,
  type LineFigures,
  type MemoryFigures,
  type MemorySample,
  memoryFigures,
} from './accounting.ts';
import { Activity } from './activity.ts';
import { drawSchedule, FaultInjector, type FaultKind } from './faults.ts';
import { numbersIn } from './lines.ts';
import type { ChildMessage } from './protocol.ts';
import { Rng } from './rng.ts';
import { encryptionKeySecrets, findInFile, findInText, type Secret } from './secrets.ts';
import { holdsWithin, waitFor } from './wait.ts';
import { type ChaosServer, startChaosWorld } from './world.ts';

export interface ChaosOptions {
  seed: number;
  /** How long faults and activity run (after set-up and warm-up). */
  durationMs: number;
  servers?: number;
  /** Mean time between two faults. */
  faultGapMs?: number;
  /** The panel's websocket-token window on both sides (real 60 s). */
  tokenWindowMs?: number;
  backoffMaxMs?: number;
  /** How long sockets may take to come back after the faults stop. */
  settleMs?: number;
  memorySampleMs?: number;
  /** Allowed post-warm-up heap growth (least-squares slope, after a forced GC per sample). */
  heapSlopeLimitMiBPerMin?: number;
  logLevel?: string;
  progress?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  durationMs: number;
  wallMs: number;
  faults: Partial<Record<FaultKind, number>>;
  lines: LineFigures & { perServer: Record<string, LineFigures> };
  interactions: InteractionFigures;
  actions: ActionFigures;
  /** Reconnected sockets that lived at least 2 s after auth, and how many of them asked Wings for a replay. */
  reconnects: { sockets: number; replaysRequested: number };
  /** How Wings handled each numbered line when published, and why those that never reached the bot were lost. */
  wingsFate: { live: number; expiredToken: number; noSocket: number; lostExpiredToken: number; lostNoSocket: number };
  memory: MemoryFigures;
  socketsReadyAfterMs: number | undefined;
  exit: { code: number | null; signal: string | null; graceful: boolean };
  rejections: string[];
  secrets: { searched: number; jwts: number; bytesScanned: number; found: string[] };
  violations: string[];
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const say = options.progress ?? (() => undefined);
  const rng = new Rng(options.seed);
  const world = await startChaosWorld({
    servers: options.servers ?? 2,
    tokenWindowMs: options.tokenWindowMs ?? 60_000,
    backoffMaxMs: options.backoffMaxMs ?? 30_000,
    memorySampleMs: options.memorySampleMs ?? 2_000,
    logLevel: options.logLevel ?? 'trace',
  });
  const violations: string[] = [];
  try {
    return await drive(world, options, rng, say, violations, started);
  } finally {
    await world.close();
  }
}

async function drive(
  world: Awaited<ReturnType<typeof startChaosWorld>>,
  options: ChaosOptions,
  rng: Rng,
  say: (line: string) => void,
  violations: string[],
  started: number,
): Promise<ChaosReport> {
  const { discord, panel, servers } = world;

  // What Wings published, and which sockets the bot holds authenticated (from the double's own events).
  const published = new Map<number, number[]>();
  const authed = new Map<number, Set<number>>();
  const firstAuths = new Map<number, number[]>();
  /** Per socket id: when it first authenticated and when it closed. */
  const authAt = new Map<number, number>();
  const closedAt = new Map<number, number>();
  // How Wings handled each numbered line at the moment it published it (the double sends synchronously): written to
  // the bot's socket as console output, replaced by a `jwt error` (the socket's token had expired), or not sent at all
  // (no authenticated socket). Snapshots are taken right before each emit and after each line.
  const fate = { live: 0, expiredToken: 0, noSocket: 0 };
  const lostTo = new Map<number, 'expiredToken' | 'noSocket'>();
  const outbound = new Map<number, { console: number; jwt: number }>();
  const snapshot = (s: ChaosServer) => {
    const sent = panel.metrics.sent(s.handle.uuid);
    outbound.set(s.index, { console: sent.byEvent['console output'] ?? 0, jwt: sent.byEvent['jwt error'] ?? 0 });
  };
  for (const s of servers) {
    published.set(s.index, []);
    authed.set(s.index, new Set());
    firstAuths.set(s.index, []);
    s.handle.events.on('console', (line: string, isDaemon: boolean) => {
      const before = outbound.get(s.index);
      snapshot(s);
      const after = outbound.get(s.index);
      if (isDaemon) return;
      const numbers = numbersIn(line);
      published.get(s.index)?.push(...numbers);
      if (!before || !after || numbers.length === 0) return;
      const kind = after.console > before.console ? 'live' : after.jwt > before.jwt ? 'expiredToken' : 'noSocket';
      fate[kind] += numbers.length;
      if (kind !== 'live') for (const n of numbers) lostTo.set(n, kind);
    });
    s.handle.events.on('auth', (e: { socketId: number; ok: boolean; firstAuth?: boolean }) => {
      if (!e.ok) return;
      authed.get(s.index)?.add(e.socketId);
      if (e.firstAuth) {
        firstAuths.get(s.index)?.push(e.socketId);
        authAt.set(e.socketId, Date.now());
      }
    });
    s.handle.events.on('socket', (what: string, id: number) => {
      if (what === 'close') {
        authed.get(s.index)?.delete(id);
        closedAt.set(id, Date.now());
      }
    });
  }

  const bot = world.startBot();
  const wire = new Map<string, number[]>();
  const jwts = new Set<string>();
  const mem: MemorySample[] = [];
  const rejections: string[] = [];
  let lastStates: Array<{ serverUuid: string; kind: string }> = [];
  let ready = false;
  let stopped = false;
  let exitedEarly = false;
  bot.onMessage((m: ChildMessage) => {
    if (m.type === 'wire') {
      const list = wire.get(m.uuid) ?? [];
      wire.set(m.uuid, list);
      for (const n of m.numbers) list.push(n);
    } else if (m.type === 'jwt') jwts.add(m.token);
    else if (m.type === 'mem') mem.push({ at: m.at, rss: m.rss, heapUsed: m.heapUsed });
    else if (m.type === 'rejection') rejections.push(m.text);
    else if (m.type === 'states') lastStates = m.states;
    else if (m.type === 'ready') ready = true;
    else if (m.type === 'stopped') stopped = true;
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void bot.exited.then((e) => {
    exit = e;
    if (!stopped) exitedEarly = true;
  });

  await waitFor(() => ready || exitedEarly, 'the bot to start', 60_000);
  if (exitedEarly) throw new Error(`the bot exited during start (${JSON.stringify(exit)}); see ${bot.logPath}`);
  say(`bot ready; binding ${servers.length} servers`);

  const activity = new Activity(world, rng, (s) => (authed.get(s.index)?.size ?? 0) > 0, 100, snapshot);
  await setUp(world, activity);
  say('servers bound, running, panels posted; chaos begins');

  // ── chaos ──────────────────────────────────────────────────────────────────────────────────────────────────────
  const warmupMs = Math.min(20_000, Math.max(5_000, options.durationMs * 0.1));
  const chaosStart = Date.now();
  const schedule = drawSchedule(rng, warmupMs, options.durationMs, options.faultGapMs ?? 3_000, servers.length);
  const injector = new FaultInjector(world, activity, rng);
  const timers: NodeJS.Timeout[] = [];
  for (const fault of schedule) timers.push(setTimeout(() => injector.apply(fault), fault.at));
  const offlineSince = new Map<number, number>();
  const tick = setInterval(() => {
    for (const s of servers) {
      activity.emitLines(s, rng.int(0, 6));
      // Keep servers mostly up so there is output to carry: a moderator starts one that stayed offline.
      if (s.handle.state === 'offline') {
        const since = offlineSince.get(s.index) ?? Date.now();
        offlineSince.set(s.index, since);
        if (Date.now() - since > 4_000) {
          offlineSince.delete(s.index);
          activity.command(rng.pick(world.moderators), 'moderator', s, 'start');
        }
      } else offlineSince.delete(s.index);
    }
  }, 200);
  let nextInteraction = Date.now() + 1_000;
  const people = setInterval(() => {
    if (Date.now() < nextInteraction) return;
    nextInteraction = Date.now() + rng.int(500, 2_500);
    activity.randomInteraction(rng.pick(servers));
  }, 100);
  // When each gateway session stopped being resumable (an interaction dispatched into it just before is Discord's loss).
  const sessionEndedAt = new Map<string, number>();
  const sessionWatch = setInterval(() => {
    for (const s of discord.gateway.sessions.values()) {
      if (!s.resumable && !sessionEndedAt.has(s.id)) sessionEndedAt.set(s.id, Date.now());
    }
  }, 50);
  const progress = setInterval(() => {
    const elapsed = Math.round((Date.now() - chaosStart) / 1000);
    say(`t+${elapsed}s: ${activity.emitted} lines emitted, ${activity.asked.length} interactions`);
  }, 30_000);

  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  for (const t of timers) clearTimeout(t);
  clearInterval(tick);
  clearInterval(people);
  clearInterval(progress);
  injector.clearAll();
  const faultsStopped = Date.now();
  say(`faults stopped after ${schedule.length} faults; settling`);

  // ── settle ─────────────────────────────────────────────────────────────────────────────────────────────────────
  const allReady = await holdsWithin(async () => {
    bot.send({ type: 'states' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return (
      lastStates.length === servers.length &&
      lastStates.every((s) => s.kind === 'ready') &&
      servers.every((s) => panel.metrics.openSockets(s.handle.uuid) === 1)
    );
  }, options.settleMs ?? 90_000);
  const socketsReadyAfterMs = allReady ? Date.now() - faultsStopped : undefined;
  if (!allReady) {
    violations.push(
      `sockets not all ready ${Math.round((options.settleMs ?? 90_000) / 1000)} s after the faults stopped: ${JSON.stringify(lastStates)}`,
    );
  }
  await holdsWithin(() => activity.asked.every((a) => !a.deliverable || a.handle.acknowledged), 20_000);
  clearInterval(sessionWatch);
  // The feed has caught up when every line that reached the bot is shown (or it stops changing for a while).
  let lastShown = -1;
  let quietSince = Date.now();
  await holdsWithin(() => {
    const shown = servers.reduce((n, s) => n + discord.messages(s.consoleChannelId).length, 0);
    if (shown !== lastShown) {
      lastShown = shown;
      quietSince = Date.now();
    }
    const caughtUp = servers.every((s) => {
      const f = accountLines(discord.messages(s.consoleChannelId), wire.get(s.handle.uuid) ?? [], []);
      return f.missing <= f.reportedDropped;
    });
    return caughtUp || Date.now() - quietSince > 8_000;
  }, 60_000);

  // ── stop ───────────────────────────────────────────────────────────────────────────────────────────────────────
  bot.send({ type: 'stop' });
  const graceful = await holdsWithin(() => exit !== undefined, 30_000);
  if (!graceful) {
    violations.push('the bot did not exit within 30 s of a graceful stop');
    bot.child.kill('SIGKILL');
    await bot.exited;
  }
  const finalExit = exit ?? { code: null, signal: null };
  if (finalExit.code !== 0 || exitedEarly || !stopped) {
    violations.push(`the bot did not stop cleanly: exit ${JSON.stringify(finalExit)}, stopped=${stopped}`);
  }
  if (rejections.length > 0) violations.push(`${rejections.length} unhandled rejection(s): ${rejections[0]}`);

  // ── figures ────────────────────────────────────────────────────────────────────────────────────────────────────
  const perServer: Record<string, LineFigures> = {};
  const totals = {
    published: 0,
    produced: 0,
    inline: 0,
    attached: 0,
    reportedDropped: 0,
    duplicated: 0,
    missing: 0,
    phantom: 0,
    neverReachedBot: 0,
    wireRepeats: 0,
  };
  let sockets = 0;
  let replays = 0;
  const actionTotals: ActionFigures = { frames: 0, matched: 0, unmatched: [], memberAttempts: 0 };
  for (const s of servers) {
    const { missingSample, duplicatedSample, ...f } = accountLines(
      discord.messages(s.consoleChannelId),
      wire.get(s.handle.uuid) ?? [],
      published.get(s.index) ?? [],
    );
    perServer[s.name] = f;
    for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += f[k];
    if (f.missing > f.reportedDropped) {
      violations.push(
        `${s.name}: ${f.missing - f.reportedDropped} produced lines neither shown nor reported dropped (e.g. ${missingSample.join(', ')})`,
      );
    }
    if (f.duplicated > 0)
      violations.push(`${s.name}: ${f.duplicated} lines shown twice (e.g. ${duplicatedSample.join(', ')})`);
    if (f.phantom > 0) violations.push(`${s.name}: ${f.phantom} lines shown that never reached the bot`);
    const frames = panel.metrics.received(s.handle.uuid);
    const a = correlateActions(s.name, frames, activity.asked);
    actionTotals.frames += a.frames;
    actionTotals.matched += a.matched;
    actionTotals.unmatched.push(...a.unmatched);
    actionTotals.memberAttempts += a.memberAttempts;
    // Every socket after the first is a reconnect: did the bot ask Wings for the lines it missed? Only sockets that
    // lived 2 s past their auth count (a socket dropped at once by the next fault had no chance to ask).
    const reconnectSockets = (firstAuths.get(s.index) ?? [])
      .slice(1)
      .filter((id) => (closedAt.get(id) ?? Number.POSITIVE_INFINITY) - (authAt.get(id) ?? 0) >= 2_000);
    sockets += reconnectSockets.length;
    replays += reconnectSockets.filter((id) => frames.some((f) => f.socketId === id && f.event === 'send logs')).length;
  }
  if (actionTotals.unmatched.length > 0) {
    violations.push(`Wings received actions no moderator asked for: ${actionTotals.unmatched.slice(0, 5).join('; ')}`);
  }
  const interactions = accountInteractions(activity.asked, sessionEndedAt);
  if (interactions.late + interactions.unanswered > 0) {
    violations.push(
      `${interactions.late} interactions answered late and ${interactions.unanswered} never: ${interactions.lateSample.join('; ')}`,
    );
  }
  const memory = memoryFigures(mem, chaosStart + warmupMs);
  const slopeLimit = options.heapSlopeLimitMiBPerMin ?? 2;
  if (memory.heapSlopeMiBPerMin > slopeLimit) {
    violations.push(
      `heap grows ${memory.heapSlopeMiBPerMin.toFixed(2)} MiB/min after warm-up (limit ${slopeLimit} MiB/min)`,
    );
  }

  // ── secrets (§5): the bot's whole output, what Discord shows, and the store file's bytes ─────────────────────────
  const secrets: Secret[] = [
    { label: 'bot token', value: discord.botToken },
    ...servers.map((s) => ({ label: `API key of ${s.name}`, value: s.apiKey })),
    ...encryptionKeySecrets(world.encryptionKey),
    ...[...jwts].map((token, i) => ({ label: `JWT #${i + 1}`, value: token })),
  ];
  const output = await findInFile(bot.logPath, secrets, 'the bot output');
  const store = findInText((await readFile(world.storePath)).toString('latin1'), secrets, 'the SQLite store');
  const said = findInText(everythingDiscordShows(world.discord), secrets, 'Discord');
  const found = [...output.found, ...store, ...said];
  if (found.length > 0) violations.push(`secrets leaked: ${found.join('; ')}`);
  if (jwts.size === 0) violations.push('no JWT was collected: the secret search had nothing to miss');

  return {
    seed: options.seed,
    durationMs: options.durationMs,
    wallMs: Date.now() - started,
    faults: Object.fromEntries(injector.applied),
    lines: { ...totals, perServer },
    interactions,
    actions: actionTotals,
    reconnects: { sockets, replaysRequested: replays },
    wingsFate: { ...fate, ...lostBreakdown(lostTo, wire) },
    memory,
    socketsReadyAfterMs,
    exit: { code: finalExit.code, signal: finalExit.signal, graceful },
    rejections,
    secrets: { searched: secrets.length, jwts: jwts.size, bytesScanned: output.bytes, found },
    violations,
  };
}

function lostBreakdown(lostTo: Map<number, 'expiredToken' | 'noSocket'>, wire: Map<string, number[]>) {
  const seen = new Set<number>();
  for (const list of wire.values()) for (const n of list) seen.add(n);
  let lostExpiredToken = 0;
  let lostNoSocket = 0;
  for (const [n, why] of lostTo) {
    if (seen.has(n)) continue; // recovered by a replay
    if (why === 'expiredToken') lostExpiredToken += 1;
    else lostNoSocket += 1;
  }
  return { lostExpiredToken, lostNoSocket };
}

/** Binds every server through `/server add`, starts it with `/start`, and posts its power panel with `/panel`. */
async function setUp(world: Awaited<ReturnType<typeof startChaosWorld>>, activity: Activity): Promise<void> {
  const { discord, panel, guild, admin, modRole } = world;
  const general = guild.channel('general').id;
  for (const s of world.servers) {
    const handle = discord.invokeCommand({
      guildId: guild.id,
      channelId: general,
      member: admin,
      name: 'server',
      subcommand: 'add',
      options: {
        name: s.name,
        panel_url: panel.panelUrl,
        server_id: s.handle.identifier,
        api_key: s.apiKey,
        console_channel: s.consoleChannelId,
        moderator_role: modRole.id,
      },
    });
    const text = await waitFor(() => handle.final()?.content || undefined, `/server add ${s.name}`, 20_000);
    if (!text.startsWith('Bound')) throw new Error(`/server add ${s.name} answered: ${text}`);
  }
  for (const s of world.servers) {
    await waitFor(() => panel.metrics.openSockets(s.handle.uuid) === 1, `the socket of ${s.name}`, 20_000);
    const start = activity.command(admin, 'admin', s, 'start');
    if (!start) throw new Error(`could not invoke /start for ${s.name}`);
    await waitFor(() => s.handle.state === 'running', `${s.name} running`, 20_000);
    await postPanel(world, activity, s);
  }
}

async function postPanel(
  world: Awaited<ReturnType<typeof startChaosWorld>>,
  activity: Activity,
  s: ChaosServer,
): Promise<void> {
  const { discord, guild, admin } = world;
  const general = guild.channel('general').id;
  const before = new Set(discord.messages(general).map((m) => m.id));
  activity.command(admin, 'admin', s, 'panel');
  const message = await waitFor(
    () =>
      discord
        .messages(general)
        .find((m) => !before.has(m.id) && (m.components ?? []).length > 0 && !m.ephemeral && m.embeds.length > 0),
    `the panel of ${s.name}`,
    20_000,
  );
  activity.panels.set(s.index, message.id);
}

function everythingDiscordShows(discord: Awaited<ReturnType<typeof startChaosWorld>>['discord']): string {
  const parts: string[] = [];
  for (const m of discord.world.messages.values()) {
    parts.push(m.content, JSON.stringify(m.embeds), JSON.stringify(m.components));
    for (const e of m.edits) parts.push(e.content, JSON.stringify(e.embeds));
    for (const a of m.attachments) parts.push(a.content.toString('latin1'));
  }
  for (const h of discord.interactions.byId.values()) {
    for (const r of h.responses) parts.push(JSON.stringify(r.body), JSON.stringify(r.choices ?? []));
  }
  return parts.join('\n');
}
