// Wings' stats payload (§7.1): memory in bytes, limit = panel MB × overhead × 1 000 000, uptime in ms.
import type { Flavour } from './jwt.ts';

export interface SimStats {
  memoryBytes: number;
  cpuAbsolute: number;
  rxBytes: number;
  txBytes: number;
  diskBytes: number;
}

export function memoryLimitBytes(memoryMb: number): number {
  if (memoryMb <= 0) return 16_000_000_000; // unlimited server: the host's memory
  const overhead = memoryMb <= 2048 ? 1.15 : memoryMb <= 4096 ? 1.1 : 1.05;
  return Math.round(memoryMb * overhead * 1_000_000);
}

export function statsPayload(
  stats: SimStats,
  memoryMb: number,
  uptimeMs: number,
  state: string,
  flavour: Flavour,
): string {
  const body: Record<string, unknown> = {
    memory_bytes: stats.memoryBytes,
    memory_limit_bytes: memoryLimitBytes(memoryMb),
    cpu_absolute: stats.cpuAbsolute,
    network: { rx_bytes: stats.rxBytes, tx_bytes: stats.txBytes },
    uptime: uptimeMs,
    state,
    disk_bytes: stats.diskBytes,
  };
  if (flavour === 'pelican') body.disk_io = { read_bytes: 0, write_bytes: 0 };
  return JSON.stringify(body);
}

/** Plausible, slowly changing samples while the container runs. */
export function sampleRunning(stats: SimStats, uptimeMs: number): void {
  stats.memoryBytes = 536_870_912 + ((uptimeMs * 4096) % 67_108_864);
  stats.cpuAbsolute = Math.round((10 + ((uptimeMs / 1000) % 40)) * 1000) / 1000;
  stats.rxBytes += 1500;
  stats.txBytes += 900;
}

export function zero(stats: SimStats): void {
  stats.memoryBytes = 0;
  stats.cpuAbsolute = 0;
  stats.rxBytes = 0;
  stats.txBytes = 0;
}
