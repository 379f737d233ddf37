/** Figures: medians, percentiles, the machine line, and a plain-text table printer. */
import { cpus, loadavg, totalmem } from 'node:os';

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0–100); NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function machine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  const memGiB = (totalmem() / 1024 ** 3).toFixed(1);
  return `${model} · ${list.length} cores · ${memGiB} GiB · Node ${process.version} · ${process.platform}/${process.arch}`;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';
}

export function fmtMiB(bytes: number): string {
  return `${fmt(bytes / 1024 / 1024, 1)} MiB`;
}

export function fmtKiB(bytes: number): string {
  return `${fmt(bytes / 1024, 1)} KiB`;
}

export function fmtPct(fraction: number, digits = 1): string {
  return `${fmt(fraction * 100, digits)} %`;
}

/** One row of a result table: what was measured, the figure, the goal (if any) and whether it was met. */
export interface Row {
  metric: string;
  value: string;
  goal?: string;
  /** undefined = no goal; true/false = met or not. */
  ok?: boolean;
  note?: string;
}

export interface Section {
  title: string;
  /** How the figures were obtained (runs, durations), printed under the title. */
  method?: string;
  rows: Row[];
}

export function renderSection(section: Section): string {
  const header = ['metric', 'value', 'goal', 'met', 'note'];
  const cells = section.rows.map((r) => [
    r.metric,
    r.value,
    r.goal ?? '',
    r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join(' | ')} |`;
  const out = [`### ${section.title}`];
  if (section.method) out.push('', section.method);
  out.push('', line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line));
  return out.join('\n');
}

/** Other work on the machine skews every figure: print the 1-minute load average next to the results. */
export function load(): string {
  const [one] = loadavg();
  return `load average (1 min) ${fmt(one ?? 0, 2)} on ${cpus().length} cores`;
}
