/**
 * Wings connection metrics from what a WingsConnection already exposes: its state, `socketsOpened` (every socket after
 * the first is a reconnect) and `refreshes` (JWT refreshes acknowledged on the current socket; it restarts at 0 with
 * each new socket, so it is read on every state change, before a new socket can reset it).
 */
import type { ConnectionState, WingsConnection } from '../wings/connection.ts';
import { type BotMetrics, CONNECTION_STATES } from './registry.ts';

interface Tracked {
  reconnects: number;
  refreshes: number;
  detach: () => void;
}

export class WingsTracker {
  private readonly tracked = new Map<WingsConnection, Tracked>();

  constructor(private readonly metrics: BotMetrics) {}

  /** Starts counting a connection (idempotent: a socket shared by several bindings is counted once). */
  track(connection: WingsConnection): void {
    if (this.tracked.has(connection)) return;
    const entry: Tracked = { reconnects: 0, refreshes: 0, detach: () => undefined };
    const onState = (_state: ConnectionState) => this.harvest(connection, entry);
    connection.on('state', onState);
    entry.detach = () => connection.off('state', onState);
    this.tracked.set(connection, entry);
    this.harvest(connection, entry);
  }

  /** Sets the by-state gauge from the connections in use now; stops tracking the others after a last count. */
  sample(inUse: Iterable<WingsConnection>): void {
    const live = new Set(inUse);
    for (const connection of live) this.track(connection);
    const byState = new Map<string, number>(CONNECTION_STATES.map((s) => [s, 0]));
    for (const [connection, entry] of this.tracked) {
      this.harvest(connection, entry);
      if (!live.has(connection)) {
        entry.detach();
        this.tracked.delete(connection);
        continue;
      }
      const kind = connection.connectionState.kind;
      byState.set(kind, (byState.get(kind) ?? 0) + 1);
    }
    for (const [state, count] of byState) this.metrics.wingsConnections.set({ state }, count);
  }

  detachAll(): void {
    for (const entry of this.tracked.values()) entry.detach();
    this.tracked.clear();
  }

  private harvest(connection: WingsConnection, entry: Tracked): void {
    const reconnects = Math.max(0, connection.socketsOpened - 1);
    if (reconnects > entry.reconnects) this.metrics.wingsReconnects.inc(reconnects - entry.reconnects);
    entry.reconnects = reconnects;
    const refreshes = connection.refreshes;
    if (refreshes < entry.refreshes) entry.refreshes = 0; // a new socket: its count started again
    if (refreshes > entry.refreshes) this.metrics.wingsTokenRefreshes.inc(refreshes - entry.refreshes);
    entry.refreshes = refreshes;
  }
}
