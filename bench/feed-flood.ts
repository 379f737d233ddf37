/**
 * feed-flood: the real bot against both doubles (child process), one binding, one console channel with Discord's real
 * per-channel limit (5 creates / 5 s and 5 edits / 5 s, as the Discord double enforces). First the latency of a lone
 * line after a quiet spell, then a flood of 2,000 lines/s, then an audit of the channel: every line inline, attached
 * or dropped, none twice.
 */

import type { Accounting } from './hosts/world-host.ts';
import { fmt, fmtInt, fmtMiB, fmtPct, percentile, type Row } from './lib/stats.ts';
import type { Bench, BenchContext } from './lib/types.ts';
import { delay, waitFor } from './lib/wait.ts';
import { startBenchWorld } from './lib/world.ts';

const RATE = 2000;

/** A full collection when node runs with --expose-gc (npm run bench does), so heap figures are live data only. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
const WIDTH = 120;
const MESSAGE_LIMIT = 2000;

interface DiscordCounts {
  requests: number;
  rateLimited: number;
  posts: number;
  edits: number;
}

export const feedFlood: Bench = {
  name: 'feed-flood',
  summary: 'end to end: 2,000 lines/s into one channel under Discord’s 5/5 s limit; first-line latency; RSS',
  async run(ctx: BenchContext) {
    const durationMs = ctx.quick ? 30_000 : 60_000;
    const latencySamples = ctx.quick ? 10 : 30;
    const world = await startBenchWorld();
    try {
      const { server, live } = await world.bind('Flood');
      const feed = world.bot.feeds.feedOf(live);
      const channelId = world.info.consoleChannelId;
      const settled = () => feed.planner.pendingLines === 0 && !feed.planner.inFlight;
      await waitFor(settled, 'the feed to settle after binding', 10_000);

      ctx.log(`feed-flood: ${latencySamples} first-line latency samples (1.2 s quiet before each)`);
      const latencies = await world.host.call<number[]>('firstLine', {
        uuid: server.uuid,
        channelId,
        samples: latencySamples,
        gapMs: 1200,
        prefix: 'Q',
      });
      await waitFor(settled, 'the feed to settle after the latency samples', 10_000);
      // Let Discord's 5 s windows close so the flood starts with a full budget, as after any quiet spell.
      await delay(5500);

      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const before = feed.planner.counters;
      const discordBefore = await world.host.call<DiscordCounts>('discordMetrics');
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }, 250);
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const total = Math.round((RATE * durationMs) / 1000);
      ctx.log(`feed-flood: flooding ${fmtInt(total)} lines at ${fmtInt(RATE)}/s for ${durationMs / 1000} s`);

      const landed = () => {
        const c = feed.planner.counters;
        return c.postedInline + c.postedAttached - before.postedInline - before.postedAttached;
      };
      const flood = world.host.call<{ emitted: number; ms: number }>('flood', {
        uuid: server.uuid,
        rate: RATE,
        durationMs,
        width: WIDTH,
        prefix: 'F',
      });
      const emitted = await flood;
      const landedAtEnd = landed();
      // The flood's end as the bot sees it: the last line has arrived.
      await waitFor(() => feed.planner.counters.received - before.received >= total, 'the last line to arrive', 30_000);
      const arrivedAt = performance.now();
      const cpuFlood = process.cpuUsage(cpuBefore);
      const wallFlood = (arrivedAt - wallBefore) / 1000;
      await waitFor(settled, 'every flood line to land in Discord', 120_000, 2);
      const drainMs = performance.now() - arrivedAt;
      const rssAfterDrain = process.memoryUsage().rss;
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, rssAfterDrain);

      collectGarbage();
      const afterGc = process.memoryUsage();
      const after = feed.planner.counters;
      const discordAfter = await world.host.call<DiscordCounts>('discordMetrics');
      const audit = await world.host.call<Accounting>('account', { channelId, prefix: 'F', total });
      const posted = discordAfter.posts - discordBefore.posts;
      const edits = discordAfter.edits - discordBefore.edits;
      const limited = discordAfter.rateLimited - discordBefore.rateLimited;
      const inline = after.postedInline - before.postedInline;
      const attached = after.postedAttached - before.postedAttached;
      const dropped = after.dropped - before.dropped;
      const fill = audit.meanInlineChars / MESSAGE_LIMIT;
      // One message per line, at 5 messages per 5 s, for the flood's duration.
      const naive = Math.floor(durationMs / 1000) / total;
      const cpuShare = (cpuFlood.user + cpuFlood.system) / 1e6 / wallFlood;

      const rows: Row[] = [
        {
          metric: 'lines emitted by Wings / received by the bot',
          value: `${fmtInt(emitted.emitted)} / ${fmtInt(after.received - before.received)}`,
          note: `emitted in ${fmt(emitted.ms / 1000, 1)} s`,
        },
        {
          metric: 'delivered inline (planner)',
          value: fmtInt(inline),
          note: `found in Discord: ${fmtInt(audit.inline)}`,
        },
        {
          metric: 'delivered as attachments (planner)',
          value: fmtInt(attached),
          note: `found in Discord: ${fmtInt(audit.attached)} in ${fmtInt(audit.attachmentMessages)} files`,
        },
        { metric: 'dropped (memory cap)', value: fmtInt(dropped), goal: '0', ok: dropped === 0 },
        {
          metric: 'missing / duplicated in Discord',
          value: `${fmtInt(audit.missing)} / ${fmtInt(audit.duplicated)}`,
          goal: '0 / 0',
          ok: audit.missing === 0 && audit.duplicated === 0,
        },
        {
          metric: 'messages created / edits',
          value: `${fmtInt(posted)} / ${fmtInt(edits)}`,
          note: `${fmtInt(audit.feedMessages)} channel messages hold flood lines`,
        },
        { metric: '429s received from Discord', value: fmtInt(limited), goal: '0', ok: limited === 0 },
        {
          metric: 'inline fill (mean content length / 2000)',
          value: fmtPct(fill),
          goal: '≥ 90 %',
          ok: fill >= 0.9,
          note: `${fmtInt(audit.inlineMessages)} inline messages, mean ${fmtInt(audit.meanInlineChars)} chars`,
        },
        {
          metric: 'landed in Discord when the flood ended',
          value: fmtPct(landedAtEnd / total),
          note: `one message per line would have landed ${fmtPct(naive, 2)}`,
        },
        { metric: 'flood end → every line in Discord', value: `${fmtInt(drainMs)} ms` },
        {
          metric: 'first line after a quiet spell: p50',
          value: `${fmt(percentile(latencies, 50), 1)} ms`,
          note: `Wings emit → in the double’s message store; ${latencies.length} samples`,
        },
        {
          metric: 'first line after a quiet spell: p95',
          value: `${fmt(percentile(latencies, 95), 1)} ms`,
          goal: '< 50 ms',
          ok: percentile(latencies, 95) < 50,
          note: `max ${fmt(Math.max(...latencies), 1)} ms; includes the 15 ms linger`,
        },
        {
          metric: 'bot RSS growth (peak − before flood)',
          value: fmtMiB(rssPeak - rssBefore),
          goal: '< 50 MB',
          ok: rssPeak - rssBefore < 50 * 1e6,
          note: `before ${fmtMiB(rssBefore)}, peak ${fmtMiB(rssPeak)}, after drain ${fmtMiB(rssAfterDrain)} (${fmtMiB(afterGc.rss)} after GC); JS heap after GC ${fmtMiB(heapBefore)} → ${fmtMiB(afterGc.heapUsed)}`,
        },
        {
          metric: 'bot CPU during the flood',
          value: fmtPct(cpuShare),
          note: 'process.cpuUsage ÷ wall time, share of one core (bot process only)',
        },
      ];
      return [
        {
          title: `feed-flood — ${fmtInt(RATE)} lines/s for ${durationMs / 1000} s into one channel`,
          method: `Real bot (this process) against the Discord and panel/Wings doubles (child process). ${WIDTH}-char plain lines, FEED_ANSI on, Discord limits 5 creates + 5 edits per 5 s per channel, Wings console throttle at its default. Latency: ${latencySamples} single lines, each after 1.2 s of quiet, before the flood.`,
          rows,
        },
      ];
    } finally {
      await world.close();
    }
  },
};
