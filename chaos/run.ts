/**
 * `npm run chaos -- [--seed N] [--minutes M] [--servers K] [--fault-gap-ms G] [--json]`
 *
 * Runs the real bot (its own process) against both doubles for M minutes of seeded faults, then prints every figure and
 * the verdict. The seed is printed first; the same seed replays the same fault schedule and activity (the timing of
 * real sockets still varies, the invariants must hold regardless). Exit code 0 = every invariant held.
 */
import { runChaos } from './chaos.ts';
import { formatReport } from './report.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
const minutes = Number(arg('minutes') ?? '2');
const servers = Number(arg('servers') ?? '2');
const faultGapMs = Number(arg('fault-gap-ms') ?? '3000');
if (!Number.isInteger(seed) || !(minutes > 0) || !Number.isInteger(servers) || servers < 1) {
  process.stderr.write('usage: npm run chaos -- [--seed N] [--minutes M] [--servers K] [--fault-gap-ms G] [--json]\n');
  process.exit(2);
}

process.stdout.write(`chaos: seed ${seed}, ${minutes} min, ${servers} servers (replay with --seed ${seed})\n`);
const report = await runChaos({
  seed,
  durationMs: Math.round(minutes * 60_000),
  servers,
  faultGapMs,
  // Long runs keep the panel's real 60 s token window; memory is sampled less often.
  tokenWindowMs: 60_000,
  memorySampleMs: minutes >= 10 ? 10_000 : 2_000,
  progress: (line) => process.stdout.write(`  ${line}\n`),
});
process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
process.exit(report.violations.length === 0 ? 0 : 1);
