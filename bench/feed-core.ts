/**
 * feed-core: the pure FeedPlanner (ANSI mapping, message filling, attachments) driven to completion by a fake channel
 * that is always ready and acknowledges at once. One thread, no I/O: this is the ceiling of the feed's own code.
 */
import { fileURLToPath } from 'node:url';
import { FeedPlanner } from '../src/feed/planner.ts';
import { colouredLine, plainLine } from './lib/lines.ts';
import { startHost } from './lib/rpc.ts';
import { fmt, fmtInt, fmtPct, median, type Row } from './lib/stats.ts';
import type { Bench, BenchContext } from './lib/types.ts';

interface Variant {
  name: string;
  ansi: boolean;
  coloured: boolean;
  /** Lines pushed between drains: a few messages' worth (under the 5-message horizon) stays inline; 10k overflows to files. */
  chunk: number;
}

const VARIANTS: Variant[] = [
  { name: 'inline · plain lines · ansi on', ansi: true, coloured: false, chunk: 48 },
  { name: 'inline · coloured lines · ansi on', ansi: true, coloured: true, chunk: 48 },
  { name: 'inline · coloured lines · ansi off (stripped)', ansi: false, coloured: true, chunk: 48 },
  { name: 'overflow · coloured lines · 10k-line bursts (attachments)', ansi: true, coloured: true, chunk: 10_000 },
];

const POOL = 4096;
const GOAL_LINES_PER_S = 1_000_000;

export interface RunResult {
  seconds: number;
  inline: number;
  attached: number;
  messages: number;
  contentChars: number;
}

function runOnce(v: Variant, pool: readonly string[], total: number): RunResult {
  const planner = new FeedPlanner({ ansi: v.ansi });
  let now = 0;
  let refs = 0;
  // Final content length of every message (an edit replaces its message's content).
  const finalLength = new Map<string, number>();
  const drain = () => {
    for (;;) {
      const action = planner.next({ now });
      if (action.kind === 'idle') return;
      if (action.kind === 'wait') {
        now = action.untilMs; // the fake channel: time jumps to the deadline
        continue;
      }
      now += 1;
      const ref = action.kind === 'edit' ? action.messageRef : String(refs++);
      if (action.kind !== 'attach') finalLength.set(ref, action.content.length);
      planner.ack(action, { ok: true, messageRef: ref, createdAt: now });
    }
  };
  const started = process.hrtime.bigint();
  let i = 0;
  while (i < total) {
    const end = Math.min(total, i + v.chunk);
    for (; i < end; i++) planner.push(pool[i % POOL]!);
    drain();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = planner.counters;
  if (c.postedInline + c.postedAttached !== total || planner.pendingLines !== 0) {
    throw new Error(`feed-core: ${total} lines pushed but ${c.postedInline} + ${c.postedAttached} landed`);
  }
  let contentChars = 0;
  for (const length of finalLength.values()) contentChars += length;
  return { seconds, inline: c.postedInline, attached: c.postedAttached, messages: finalLength.size, contentChars };
}

export interface VariantResult {
  name: string;
  inlineGoal: boolean;
  rates: number[];
  rawLength: number;
  last: RunResult;
}

/** Every variant: a warm-up, then `runs` timed runs of `total` lines. Runs in a child (hosts/feed-core-host.ts). */
export function measureVariants(total: number, runs: number): VariantResult[] {
  return VARIANTS.map((v) => {
    const pool = Array.from({ length: POOL }, (_, i) => (v.coloured ? colouredLine(i) : plainLine(i)));
    runOnce(v, pool, Math.min(total, 50_000)); // warm-up: let the JIT settle before timing
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) results.push(runOnce(v, pool, total));
    return {
      name: v.name,
      inlineGoal: v.chunk < 1000,
      rates: results.map((x) => total / x.seconds),
      rawLength: pool[0]!.length,
      last: results[results.length - 1]!,
    };
  });
}

const HOST = fileURLToPath(new URL('./hosts/feed-core-host.ts', import.meta.url));

async function measureIn(loadApp: boolean, total: number, runs: number): Promise<VariantResult[]> {
  const host = await startHost(HOST);
  try {
    return await host.call<VariantResult[]>('measure', { total, runs, loadApp });
  } finally {
    await host.close();
  }
}

export const feedCore: Bench = {
  name: 'feed-core',
  summary: 'FeedPlanner throughput on one core (ANSI mapping + batching), 120-char lines',
  async run(ctx: BenchContext) {
    const total = ctx.quick ? 100_000 : 400_000;
    const runs = ctx.quick ? 3 : 7;
    // The planner alone, and in a process that has loaded the bot's modules (what production runs): some dependency
    // can change how V8 runs the planner's string code for the whole process.
    const alone = await measureIn(false, total, runs);
    ctx.log('feed-core: planner alone measured');
    const loaded = await measureIn(true, total, runs);
    ctx.log('feed-core: planner with the bot loaded measured');
    const rows: Row[] = [];
    for (const [i, a] of alone.entries()) {
      const b = loaded[i]!;
      const rate = median(a.rates);
      const rateLoaded = median(b.rates);
      const fill = a.last.messages > 0 ? a.last.contentChars / a.last.messages / 2000 : Number.NaN;
      rows.push({
        metric: `${a.name}: lines/s`,
        value: fmtInt(rate),
        ...(a.inlineGoal ? { goal: '≥ 1,000,000', ok: rate >= GOAL_LINES_PER_S } : {}),
        note: `${fmt(1e9 / rate, 0)} ns/line; min ${fmtInt(Math.min(...a.rates))}, max ${fmtInt(Math.max(...a.rates))}; raw line ${a.rawLength} chars; ${fmtInt(a.last.messages)} messages (mean fill ${fmtPct(fill)}), ${fmtInt(a.last.attached)} lines attached`,
      });
      rows.push({
        metric: `  … in the bot's process (src/app.ts loaded)`,
        value: fmtInt(rateLoaded),
        ...(a.inlineGoal ? { goal: '≥ 1,000,000', ok: rateLoaded >= GOAL_LINES_PER_S } : {}),
        note: `${fmt(1e9 / rateLoaded, 0)} ns/line; ${fmt(rateLoaded / rate, 2)}× the planner alone`,
      });
    }
    rows.push({
      metric: 'coloured ÷ plain throughput (planner alone)',
      value: fmt(median(alone[1]!.rates) / median(alone[0]!.rates), 2),
      note: 'cost of SGR parsing and re-emission',
    });
    return [
      {
        title: 'feed-core — FeedPlanner on one core',
        method: `${fmtInt(total)} lines per run, median of ${runs} runs after a warm-up, each set in a fresh child process; a fake channel that is always ready (ack at once, time jumps to each linger deadline). Default FeedOptions.`,
        rows,
      },
    ];
  },
};
