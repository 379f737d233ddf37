/** The chaos figures as a person reads them: one invariant per line, each with its numbers. */
import type { ChaosReport } from './chaos.ts';

const n = (x: number) => x.toLocaleString('en-US');

export function formatReport(r: ChaosReport): string {
  const l = r.lines;
  const i = r.interactions;
  const m = r.memory;
  const faults = Object.entries(r.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const out = [
    `seed ${r.seed} · chaos ${Math.round(r.durationMs / 1000)} s · wall ${Math.round(r.wallMs / 1000)} s`,
    `faults injected: ${faults || 'none'}`,
    `no crash: exit code ${r.exit.code}${r.exit.signal ? ` signal ${r.exit.signal}` : ''}, graceful stop ${r.exit.graceful ? 'yes' : 'NO'}`,
    `no unhandled rejection: ${r.rejections.length}`,
    `console lines: published by Wings ${n(l.published)} · produced (reached the bot) ${n(l.produced)} = inline ${n(l.inline)} + attached ${n(l.attached)} + reported dropped ${n(l.reportedDropped)} (missing ${n(l.missing)}, duplicated ${n(l.duplicated)}, phantom ${n(l.phantom)})`,
    `  never reached the bot (Wings-side loss: gaps past the 150-line replay, expired tokens): ${n(l.neverReachedBot)} · repeats on the wire (replay overlap, de-duplicated): ${n(l.wireRepeats)}`,
    `  at publish time Wings wrote ${n(r.wingsFate.live)} live, replaced ${n(r.wingsFate.expiredToken)} by jwt errors (token expired), had no socket for ${n(r.wingsFate.noSocket)}; never recovered: ${n(r.wingsFate.lostExpiredToken)} expired-token, ${n(r.wingsFate.lostNoSocket)} no-socket`,
    `  reconnects (sockets living ≥ 2 s) ${r.reconnects.sockets}, followed by a replay request: ${r.reconnects.replaysRequested}`,
    `interactions: ${n(i.total)} · on time ${n(i.onTime)} · late ${i.late} · unanswered ${i.unanswered} · undeliverable (no Discord session) ${i.undeliverable} · lost with their session ${i.lostWithSession}`,
    `moderation: Wings action frames ${r.actions.frames}, all from moderators: ${r.actions.unmatched.length === 0 ? 'yes' : `NO (${r.actions.unmatched.length})`} · member attempts ${r.actions.memberAttempts}, refused ${i.memberRefusals}${i.memberOtherReplies.length > 0 ? ` (others: ${i.memberOtherReplies.join(' | ')})` : ''}`,
    `memory after warm-up: heap ${m.heapAfterWarmupMiB.toFixed(1)} → ${m.heapAtEndMiB.toFixed(1)} MiB, slope ${m.heapSlopeMiBPerMin.toFixed(3)} MiB/min; RSS slope ${m.rssSlopeMiBPerMin.toFixed(3)} MiB/min, end ${m.rssAtEndMiB.toFixed(0)} MiB (${m.samples} samples)`,
    `sockets back to ready: ${r.socketsReadyAfterMs === undefined ? 'NO' : `${(r.socketsReadyAfterMs / 1000).toFixed(1)} s after the faults stopped`}`,
    `secrets: ${r.secrets.searched} searched (${r.secrets.jwts} JWTs) in ${n(r.secrets.bytesScanned)} bytes of output + store + Discord: ${r.secrets.found.length === 0 ? 'none found' : r.secrets.found.join('; ')}`,
    r.violations.length === 0 ? 'VERDICT: PASS' : `VERDICT: FAIL\n${r.violations.map((v) => `  - ${v}`).join('\n')}`,
  ];
  return `${out.join('\n')}\n`;
}
