/**
 * What /stats shows, fetched so that a command open to every member is no lever on panel and Wings traffic: the stats
 * frame Wings already pushed when it is recent, at most one `send stats` per connection at a time, and the panel's
 * limits reused for minutes.
 */
import { UserError } from '../discord/errors.ts';
import type { Logger } from '../log.ts';
import type { PanelClient } from '../panel/client.ts';
import type { Binding } from '../store/index.ts';
import type { WingsConnection } from '../wings/connection.ts';
import type { WingsStats } from '../wings/protocol.ts';
import type { LiveBinding } from './bridge.ts';

export interface StatsTuning {
  /** A stats frame younger than this is shown as is; Wings pushes one a second while the server runs. */
  statsFreshMs: number;
  /** How long the panel's limits of a server are reused. */
  limitsTtlMs: number;
  /** How long a failed limits lookup is remembered (the panel is not asked again meanwhile). */
  limitsRetryMs: number;
}

/** CPU % of one core, disk and memory MiB; 0 = unlimited. */
export type ServerLimits = { cpu: number; disk: number; memory: number };

export class StatsSource {
  readonly tuning: StatsTuning = { statsFreshMs: 2_000, limitsTtlMs: 10 * 60_000, limitsRetryMs: 60_000 };
  /** When each connection last delivered a stats frame (pushed or asked for). */
  private readonly seenAt = new WeakMap<WingsConnection, number>();
  /** A `send stats` in flight per connection: concurrent callers share its answer. */
  private readonly requests = new Map<WingsConnection, Promise<WingsStats | undefined>>();
  private readonly limitsCache = new Map<string, { until: number; limits: Promise<ServerLimits | undefined> }>();

  constructor(
    private readonly logger: Logger,
    private readonly panelClient: (binding: Binding) => PanelClient,
  ) {}

  /** Notes when the connection's stats frames arrive; returns the unsubscribe. */
  watch(connection: WingsConnection): () => void {
    const onStats = () => this.seenAt.set(connection, Date.now());
    connection.on('stats', onStats);
    return () => connection.off('stats', onStats);
  }

  /** Drops what is cached for a binding that went away. */
  forget(bindingId: string): void {
    this.limitsCache.delete(bindingId);
  }

  /**
   * The latest frame when it is younger than `statsFreshMs` (always so while the server runs) and agrees with the
   * last status; else one `send stats` per connection at a time, whose answer every concurrent caller shares; falls
   * back to the latest frame seen when Wings does not answer within `timeoutMs`.
   */
  async fresh(live: LiveBinding, timeoutMs = 3_000): Promise<WingsStats> {
    const connection = live.connection;
    const seenAt = this.seenAt.get(connection);
    const last = connection.lastStats;
    // A young frame taken before the last status change (a start a moment ago) would show the old state: ask then.
    const fresh =
      last !== undefined &&
      last.state === connection.serverState &&
      seenAt !== undefined &&
      Date.now() - seenAt <= this.tuning.statsFreshMs;
    if (fresh) return last;
    let request = this.requests.get(connection);
    if (!request) {
      request = this.request(connection, timeoutMs).finally(() => this.requests.delete(connection));
      this.requests.set(connection, request);
    }
    const stats = (await request) ?? connection.lastStats;
    if (!stats) throw new UserError(`${live.binding.name} sent no statistics; try again in a moment.`);
    return stats;
  }

  /** The panel's limits for the server, or undefined if the panel is unreachable; reused as `tuning` says. */
  limits(live: LiveBinding): Promise<ServerLimits | undefined> {
    const key = live.binding.id;
    const cached = this.limitsCache.get(key);
    if (cached && Date.now() < cached.until) return cached.limits;
    const entry = { until: Number.POSITIVE_INFINITY, limits: Promise.resolve<ServerLimits | undefined>(undefined) };
    entry.limits = this.panelClient(live.binding)
      .getServer(live.binding.serverId)
      .then(
        (details) => {
          entry.until = Date.now() + this.tuning.limitsTtlMs;
          return details.limits;
        },
        (error: unknown) => {
          this.logger.debug({ binding: live.binding.id, err: error }, 'could not read server limits');
          entry.until = Date.now() + this.tuning.limitsRetryMs;
          return undefined;
        },
      );
    this.limitsCache.set(key, entry);
    return entry.limits;
  }

  private async request(connection: WingsConnection, timeoutMs: number): Promise<WingsStats | undefined> {
    let onStats: ((stats: WingsStats) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const next = new Promise<WingsStats | undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
      onStats = resolve;
      connection.once('stats', onStats);
    });
    try {
      await connection.requestStats();
      return await next;
    } finally {
      clearTimeout(timer);
      if (onStats) connection.off('stats', onStats);
    }
  }
}
