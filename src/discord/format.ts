/**
 * Pure formatting of numbers and server facts for Discord: human units, and text from game servers made inert
 * (no markdown injection, no mentions) before it is placed outside a code block.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Milliseconds → "3 d 4 h", "2 h 5 min", "4 min 12 s", "12 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/**
 * CPU as Wings reports it (percent of one core, summed over cores) and, where the panel sets a limit (also in percent of
 * one core; 0 = unlimited), the share of that limit.
 */
export function formatCpu(cpuAbsolute: number, limitPercent: number | undefined): string {
  const base = `${cpuAbsolute.toFixed(1)} % of one core`;
  if (!limitPercent || limitPercent <= 0) return base;
  return `${base} (${((cpuAbsolute / limitPercent) * 100).toFixed(0)} % of its ${limitPercent} % limit)`;
}

export function formatMemory(used: number, limit: number): string {
  if (!limit || limit <= 0) return formatBytes(used);
  return `${formatBytes(used)} / ${formatBytes(limit)} (${((used / limit) * 100).toFixed(0)} %)`;
}

const STATE_ICON: Record<string, string> = { offline: '⚫', starting: '🟡', running: '🟢', stopping: '🟠' };

export function stateLabel(state: string | undefined): string {
  if (!state) return '❔ unknown';
  return `${STATE_ICON[state] ?? '❔'} ${state}`;
}

/** Escapes Discord markdown and neutralises mentions in text shown outside a code block (names, panel texts). */
export function inert(text: string, maxLength = 256): string {
  const cleaned = text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/([\\*_~`|[\]])/g, '\\$1')
    .replace(/@/g, '@\u200b');
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
}
