// What the double observed, for assertions. Secrets never enter these logs: keys are recorded by their
// 16-char public identifier only, and inbound `auth` args are recorded as "<jwt>".

export interface FrameRecord {
  socketId: number;
  event: string;
  args: string[];
  at: number;
}

export interface UpgradeRecord {
  path: string;
  uuid: string | undefined;
  accepted: boolean;
  status: number;
  reason: string;
  at: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** Route pattern, e.g. 'GET /api/client/servers/{server}/websocket'; 'unknown' when no route matched. */
  route: string;
  /** Public identifier (first 16 chars) of the bearer key, when the request carried one. */
  key: string | undefined;
  /** Server uuid when the route names a server that exists. */
  serverUuid: string | undefined;
  status: number;
  at: number;
}

export class Metrics {
  readonly requestLog: RequestRecord[] = [];
  readonly upgrades: UpgradeRecord[] = [];
  private readonly inbound = new Map<string, FrameRecord[]>();
  private readonly outbound = new Map<string, Map<string, number>>();

  constructor(
    private readonly socketCount: (uuid: string) => number,
    private readonly resolve: (serverId: string) => string | undefined,
  ) {}

  /** Requests matching every given filter field (route pattern, key identifier or full key, status). */
  requests(filter: { route?: string; key?: string; status?: number } = {}): number {
    const key = filter.key?.slice(0, 16);
    return this.requestLog.filter(
      (r) =>
        (filter.route === undefined || r.route === filter.route) &&
        (key === undefined || r.key === key) &&
        (filter.status === undefined || r.status === filter.status),
    ).length;
  }

  /** Requests to GET …/websocket for this server (identifier or uuid), whatever their outcome. */
  wsTokenRequests(serverId: string): number {
    const uuid = this.resolve(serverId) ?? serverId;
    return this.requestLog.filter(
      (r) => r.route === 'GET /api/client/servers/{server}/websocket' && r.serverUuid === uuid,
    ).length;
  }

  authMessages(uuid: string): number {
    return this.received(uuid).filter((f) => f.event === 'auth').length;
  }

  openSockets(uuid: string): number {
    return this.socketCount(uuid);
  }

  /** Every decoded inbound frame for this server (dropped-as-invalid frames are not in here). */
  received(uuid: string): readonly FrameRecord[] {
    return this.inbound.get(uuid) ?? [];
  }

  /** Frames actually written to sockets of this server, by event name (after jwt-error replacement). */
  sent(uuid: string): { total: number; byEvent: Record<string, number> } {
    const m = this.outbound.get(uuid);
    const byEvent: Record<string, number> = {};
    let total = 0;
    for (const [event, n] of m ?? []) {
      byEvent[event] = n;
      total += n;
    }
    return { total, byEvent };
  }

  sentConsoleLines(uuid: string): number {
    return this.outbound.get(uuid)?.get('console output') ?? 0;
  }

  recordInbound(uuid: string, frame: FrameRecord): void {
    let list = this.inbound.get(uuid);
    if (!list) {
      list = [];
      this.inbound.set(uuid, list);
    }
    list.push(frame.event === 'auth' ? { ...frame, args: frame.args.map(() => '<jwt>') } : frame);
  }

  recordOutbound(uuid: string, event: string): void {
    let m = this.outbound.get(uuid);
    if (!m) {
      m = new Map();
      this.outbound.set(uuid, m);
    }
    m.set(event, (m.get(event) ?? 0) + 1);
  }
}
