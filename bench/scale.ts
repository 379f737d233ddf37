/**
 * scale: many bindings in one bot process against the panel/Wings double. The double and the bot's Wings side each
 * run in a child process of their own (hosts/panel-host.ts, hosts/scale-bot.ts), so every figure is the bot's alone.
 * Every server runs and sends stats once a second; nothing prints to the console ("quiet").
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PanelCounts, ScaleTarget } from './hosts/panel-host.ts';
import { startHost } from './lib/rpc.ts';
import { fmt, fmtInt, fmtKiB, fmtMiB, fmtPct, median, type Row, type Section } from './lib/stats.ts';
import type { Bench, BenchContext } from './lib/types.ts';
import { delay } from './lib/wait.ts';

const GIB = 1024 ** 3;
/**
 * After the start, before the quiet window: the start's HTTP keep-alive connections time out (panel side 5 s) and
 * PanelClient's per-request AbortSignal.timeout (10 s) timers fire — both are start-up residue, not steady state.
 */
const SETTLE_MS = 11_000;
const BOUNDED_BATCH = 200;
const PANEL_HOST = fileURLToPath(new URL('./hosts/panel-host.ts', import.meta.url));
const BOT_HOST = fileURLToPath(new URL('./hosts/scale-bot.ts', import.meta.url));

interface Memory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface ConnectResult {
  ready: number;
  ms: number;
  p50ReadyMs: number;
  lastReadyMs: number;
  states: Record<string, number>;
  reasons: Record<string, number>;
  retries: Record<string, number>;
  hubSize: number;
  subscriptions: number;
  logLines: number;
}
interface QuietResult {
  cpuShare: number;
  userShare: number;
  systemShare: number;
  heapTotalBeforeGc: number;
  statsPerSecond: number;
  loopP99Ms: number;
  loopMaxMs: number;
  memory: Memory;
  peakRss: number;
  logLines: number;
}

export interface StepResult {
  bindings: number;
  perKey: number;
  baseline: Memory;
  connect: ConnectResult;
  panel: PanelCounts;
  quiet: QuietResult;
  rssPerBinding: number;
  heapPerBinding: number;
}

async function step(
  bindings: number,
  perKey: number,
  o: {
    quietMs: number;
    connectTimeoutMs: number;
    log: (m: string) => void;
    raw?: boolean;
    batch?: number;
    settleMs?: number;
  },
): Promise<StepResult> {
  const panel = await startHost(PANEL_HOST);
  const bot = await startHost(BOT_HOST, { execArgv: ['--expose-gc', '--max-old-space-size=4096'] });
  try {
    const panelUrl = await panel.call<string>('start', { statsIntervalMs: 1000 });
    const targets = await panel.call<ScaleTarget[]>('addServers', { count: bindings, perKey });
    const baseline = await bot.call<Memory>('init', panelUrl);
    o.log(
      `scale: ${fmtInt(bindings)} ${o.raw ? 'bare ws clients' : 'bindings'} (${fmtInt(perKey)} servers per API key): connecting`,
    );
    const connect = o.raw
      ? rawConnect(
          await bot.call<{ ready: number; lastReadyMs: number }>('connectRaw', {
            panelUrl,
            targets,
            timeoutMs: o.connectTimeoutMs,
          }),
          bindings,
        )
      : await bot.call<ConnectResult>('connect', {
          panelUrl,
          targets,
          duplicates: Math.round(bindings / 10),
          timeoutMs: o.connectTimeoutMs,
          batch: o.batch ?? 0,
        });
    o.log(
      `scale: ${fmtInt(connect.ready)}/${fmtInt(bindings)} ready in ${fmtInt(connect.lastReadyMs)} ms; measuring quiet`,
    );
    const panelCounts = await panel.call<PanelCounts>('counts');
    await delay(o.settleMs ?? SETTLE_MS);
    // BENCH_PROFILE_DIR=/some/dir writes a CPU profile of each quiet window there (the profiler inflates the CPU share).
    const profileDir = process.env.BENCH_PROFILE_DIR;
    const profilePath = profileDir
      ? path.join(profileDir, `scale-${o.raw ? 'raw' : 'hub'}-${bindings}.cpuprofile`)
      : undefined;
    const quiet = await bot.call<QuietResult>('quiet', o.quietMs, profilePath);
    return {
      bindings,
      perKey,
      baseline,
      connect,
      panel: panelCounts,
      quiet,
      rssPerBinding: (quiet.memory.rss - baseline.rss) / bindings,
      heapPerBinding: (quiet.memory.heapUsed - baseline.heapUsed) / bindings,
    };
  } finally {
    await bot.close();
    await panel.close();
  }
}

function baselineSection(runs: StepResult[], floor: StepResult | undefined): Section {
  const byRss = [...runs].sort((a, b) => a.rssPerBinding - b.rssPerBinding);
  const r = byRss[Math.floor((byRss.length - 1) / 2)]!;
  const cpu = median(runs.map((x) => x.quiet.cpuShare));
  const rssList = runs.map((x) => fmtKiB(x.rssPerBinding)).join(', ');
  const cpuList = runs.map((x) => fmtPct(x.quiet.cpuShare)).join(', ');
  const allReady = r.connect.ready === r.bindings;
  const oneEach = r.connect.hubSize === r.bindings && r.panel.serversWithOneSocket === r.bindings;
  const rows: Row[] = [
    {
      metric: 'RSS per binding (median run)',
      value: fmtKiB(r.rssPerBinding),
      goal: '< 150 KB',
      ok: r.rssPerBinding < 150 * 1000,
      note: `runs: ${rssList}; RSS ${fmtMiB(r.baseline.rss)} → ${fmtMiB(r.quiet.memory.rss)} after GC; peak during the start ${fmtMiB(r.quiet.peakRss)}`,
    },
    {
      metric: 'JS heap used per binding',
      value: fmtKiB(r.heapPerBinding),
      note: `heap committed ${fmtMiB(r.quiet.memory.heapTotal)} for ${fmtMiB(r.quiet.memory.heapUsed)} used; external ${fmtMiB(r.quiet.memory.external)}`,
    },
    {
      metric: 'CPU when quiet (stats 1/s each), median',
      value: fmtPct(cpu),
      goal: '< 5 % of a core',
      ok: cpu < 0.05,
      note: `runs: ${cpuList}; user ${fmtPct(r.quiet.userShare)} + system ${fmtPct(r.quiet.systemShare)}; ${fmtInt(r.quiet.statsPerSecond)} stats frames/s; loop delay p99 ${fmt(r.quiet.loopP99Ms, 1)} ms`,
    },
    ...(floor
      ? [
          {
            metric: 'floor: bare ws clients, RSS per socket / CPU quiet',
            value: `${fmtKiB(floor.rssPerBinding)} / ${fmtPct(floor.quiet.cpuShare)}`,
            note: `same run: hub ÷ floor = ${fmt(r.rssPerBinding / floor.rssPerBinding, 2)}× RSS, ${fmt(cpu / floor.quiet.cpuShare, 2)}× CPU; heap ${fmtKiB(floor.heapPerBinding)}/socket`,
          },
        ]
      : []),
    {
      metric: 'time to connect all',
      value: `${fmtInt(r.connect.lastReadyMs)} ms`,
      ok: allReady,
      goal: 'all ready',
      note: `${fmtInt(r.connect.ready)}/${fmtInt(r.bindings)} ready; half by ${fmtInt(r.connect.p50ReadyMs)} ms`,
    },
    {
      metric: '429s from the panel',
      value: fmtInt(r.panel.status429),
      goal: '0',
      ok: r.panel.status429 === 0,
      note: `${fmtInt(r.panel.requests)} panel requests; ${r.perKey} servers per key (client limit 720/min per user)`,
    },
    {
      metric: 'websocket tokens per server (max)',
      value: fmtInt(r.panel.wsTokenMaxPerServer),
      goal: '≤ 5 / min',
      ok: r.panel.wsTokenMaxPerServer <= 5,
      note: `${fmtInt(r.panel.wsTokenRequests)} token requests`,
    },
    {
      metric: 'sockets: hub connections / open at Wings',
      value: `${fmtInt(r.connect.hubSize)} / ${fmtInt(r.panel.openSockets)}`,
      goal: `${fmtInt(r.bindings)} (one per server)`,
      ok: oneEach,
      note: `${fmtInt(r.connect.subscriptions)} subscriptions (${fmtInt(r.connect.subscriptions - r.bindings)} shared); servers with >1 socket: ${r.panel.serversWithMoreSockets}`,
    },
  ];
  return {
    title: `scale — ${fmtInt(r.bindings)} bindings in one process`,
    method: `${runs.length} run(s), each with a fresh bot and double. WingsHub.subscribe per binding (as the Bridge does) in a child process started with --expose-gc; the panel/Wings double in another child. RSS/heap read after a full GC; CPU = process.cpuUsage ÷ wall time over the quiet window.`,
    rows,
  };
}

function rawConnect(r: { ready: number; lastReadyMs: number }, n: number): ConnectResult {
  return {
    ready: r.ready,
    ms: r.lastReadyMs,
    p50ReadyMs: Number.NaN,
    lastReadyMs: r.lastReadyMs,
    states: {},
    reasons: {},
    retries: {},
    hubSize: n,
    subscriptions: n,
    logLines: 0,
  };
}

function topRetries(retries: Record<string, number>): string {
  const list = Object.entries(retries).sort((a, b) => b[1] - a[1]);
  if (list.length === 0) return 'no retries';
  return `retries: ${list
    .slice(0, 2)
    .map(([reason, n]) => `${fmtInt(n)}× “${reason}”`)
    .join(', ')}`;
}

function stepRow(r: StepResult, verdict: string, label = ''): Row {
  return {
    metric: `${fmtInt(r.bindings)} bindings${label}`,
    value: `${fmtMiB(r.quiet.peakRss)} · ${fmtMiB(r.quiet.memory.rss)} · ${fmtPct(r.quiet.cpuShare)}`,
    note: [
      `${fmtKiB(r.rssPerBinding)}/binding after GC`,
      `${fmtInt(r.connect.ready)} ready in ${fmt(r.connect.lastReadyMs / 1000, 1)} s`,
      `${fmtInt(r.quiet.statsPerSecond)} stats/s`,
      `loop p99 ${fmt(r.quiet.loopP99Ms, 0)} ms`,
      `${fmtInt(r.panel.requests)} panel requests, ${fmtInt(r.panel.status429)} × 429`,
      topRetries(r.connect.retries),
      verdict,
    ].join(' · '),
  };
}

export const scale: Bench = {
  name: 'scale',
  summary: '1,000 bindings (RSS, CPU, connect time, 429s, sockets), then step up to 10,000 within 1 GiB and one core',
  async run(ctx: BenchContext) {
    const quietMs = ctx.quick ? 5_000 : 10_000;
    const perKey = 250;
    const o = {
      quietMs,
      connectTimeoutMs: ctx.quick ? 60_000 : 120_000,
      log: ctx.log,
      settleMs: ctx.quick ? 6_000 : SETTLE_MS,
    };
    const sections: Section[] = [];
    const steps = ctx.quick ? [1000] : [1000, 2000, 5000, 10_000];
    const table: Row[] = [];
    let stoppedBecause = 'every step fitted';
    // RSS after a connection burst varies from run to run (heap sizing, allocator high-water): repeat the baseline.
    const baselineRuns: StepResult[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) baselineRuns.push(await step(1000, perKey, o));
    const floor = ctx.quick ? undefined : await step(1000, perKey, { ...o, raw: true });
    sections.push(baselineSection(baselineRuns, floor));
    for (const n of steps) {
      const r = n === 1000 ? baselineRuns[baselineRuns.length - 1]! : await step(n, perKey, o);
      const reasons: string[] = [];
      if (r.connect.ready < n) {
        reasons.push(`only ${fmtInt(r.connect.ready)} connected (${JSON.stringify(r.connect.reasons)})`);
      }
      if (r.quiet.memory.rss >= GIB) reasons.push('RSS ≥ 1 GiB');
      else if (r.quiet.peakRss >= GIB) reasons.push('RSS ≥ 1 GiB during the start');
      if (r.quiet.cpuShare >= 1) reasons.push('CPU ≥ one core');
      table.push(stepRow(r, reasons.length === 0 ? 'fits' : reasons.join('; ')));
      if (reasons.length > 0) {
        stoppedBecause = `Stopped at ${fmtInt(n)}: ${reasons.join('; ')}`;
        break;
      }
    }
    // The same largest step with the start bounded on the bench side (subscribe 200, wait until they are ready, next
    // 200): what a concurrency limit on connection attempts in the hub would buy.
    const largest = steps[table.length - 1]!;
    if (!ctx.quick && largest >= 5000) {
      const bounded = await step(largest, perKey, { ...o, batch: BOUNDED_BATCH });
      table.push(stepRow(bounded, 'for comparison', ` (starts bounded: ${BOUNDED_BATCH} at a time)`));
    }
    sections.push({
      title: 'scale — stepping up (limit: RSS < 1 GiB and CPU < one core)',
      method: `Fresh bot and double per step; ${perKey} servers per API key; ${quietMs / 1000} s quiet window; value = peak RSS during the start · RSS after GC when quiet · CPU share when quiet. ${stoppedBecause}.`,
      rows: table,
    });
    return sections;
  },
};

/** Opt-in (≈ 4 min): 1,000 servers behind ONE API key — the panel's per-user limit (720/min) governs the start. */
export const scaleOneKey: Bench = {
  name: 'scale-one-key',
  optIn: true,
  summary: 'opt-in, ~4 min: 1,000 servers behind one API key — connect time and 429s under the per-user panel limit',
  async run(ctx: BenchContext) {
    const n = ctx.quick ? 500 : 1000;
    const r = await step(n, n, { quietMs: 2_000, connectTimeoutMs: 400_000, log: ctx.log });
    const minimumRequests = 2 * n;
    const rows: Row[] = [
      {
        metric: 'time to connect all',
        value: `${fmt(r.connect.lastReadyMs / 1000, 1)} s`,
        note: `${fmtInt(r.connect.ready)}/${fmtInt(n)} ready; half by ${fmt(r.connect.p50ReadyMs / 1000, 1)} s`,
      },
      {
        metric: 'ideal with pacing (fixed 60 s windows of 720)',
        value: `${fmt(Math.floor((minimumRequests - 1) / 720) * 60, 0)} s`,
        note: `${fmtInt(minimumRequests)} requests needed (server details + websocket token per server)`,
      },
      { metric: '429s from the panel', value: fmtInt(r.panel.status429), goal: '0', ok: r.panel.status429 === 0 },
      {
        metric: 'panel requests made',
        value: fmtInt(r.panel.requests),
        note: `${fmt(r.panel.requests / minimumRequests, 2)}× the minimum`,
      },
      {
        metric: 'websocket tokens per server (max)',
        value: fmtInt(r.panel.wsTokenMaxPerServer),
        goal: '≤ 5 / min',
        ok: r.panel.wsTokenMaxPerServer <= 5,
      },
      { metric: 'bot log lines during the start', value: fmtInt(r.connect.logLines), note: 'retry notices at info' },
    ];
    return [
      {
        title: `scale-one-key — ${fmtInt(n)} servers behind one API key`,
        method:
          'Same hosts as scale; every server owned by one panel user with one client key; the double’s client limit is 720 requests per 60 s window per user.',
        rows,
      },
    ];
  },
};
