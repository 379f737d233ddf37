/**
 * Benchmark entry: `npm run bench` (everything, ≤ ~10 min on 2 cores), `npm run bench -- --quick` (~1 min smoke run),
 * `npm run bench -- feed-core scale` (only those). Tables go to stdout, progress to stderr.
 */

import { cmdRoundtrip } from './cmd-roundtrip.ts';
import { feedCore } from './feed-core.ts';
import { feedFlood } from './feed-flood.ts';
import { load, machine, renderSection } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';
import { scale, scaleOneKey } from './scale.ts';

const BENCHES: Bench[] = [feedCore, feedFlood, cmdRoundtrip, scale, scaleOneKey];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (args.includes('--help') || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n`);
    process.stderr.write(
      `usage: npm run bench -- [--quick] [name …]\n${BENCHES.map((b) => `  ${b.name.padEnd(14)} ${b.summary}`).join('\n')}\n`,
    );
    process.exitCode = unknown.length > 0 ? 2 : 0;
    return;
  }
  const selected = names.length > 0 ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES.filter((b) => !b.optIn);
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${message}\n`);
  process.stdout.write(`## ptero-bridge benchmarks${quick ? ' (--quick)' : ''}\n\nMachine: ${machine()}\n`);
  for (const bench of selected) {
    log(`${bench.name}: starting`);
    const before = load();
    const sections = await bench.run({ quick, log });
    process.stdout.write(`\n_${bench.name}: ${before} before, ${load()} after._\n`);
    for (const section of sections) process.stdout.write(`\n${renderSection(section)}\n`);
  }
  process.stdout.write(`\nTotal time: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
