/**
 * The fault schedule: drawn entirely from the seed before the run starts (kind, moment, size), then applied on time.
 * Episodes (short tokens, slow panel, panel outage) end on their own; `clearAll` ends everything when the faults stop.
 */
import type { Activity } from './activity.ts';
import type { Rng } from './rng.ts';
import type { ChaosServer, ChaosWorld } from './world.ts';

export const FAULT_KINDS = [
  'wings-drop',
  'wings-restart',
  'short-tokens',
  'panel-5xx',
  'panel-429',
  'panel-slow',
  'panel-outage',
  'discord-429',
  'discord-5xx',
  'gateway-resume',
  'gateway-new-session',
  'console-burst',
  'power-storm',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  at: number;
  kind: FaultKind;
  /** Episode length in ms, for faults that last. */
  lengthMs: number;
  size: number;
  server: number;
}

/** Draws faults from `startMs` to `endMs` (offsets into the run), one every `gapMs` on average. */
export function drawSchedule(rng: Rng, startMs: number, endMs: number, gapMs: number, servers: number): Fault[] {
  const faults: Fault[] = [];
  let at = startMs;
  // Every kind appears at least once when the window allows it: the first round goes through them in a seeded order.
  const firstRound: FaultKind[] = [...FAULT_KINDS];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [firstRound[i], firstRound[j]] = [firstRound[j] as FaultKind, firstRound[i] as FaultKind];
  }
  while (true) {
    at += Math.round(gapMs * (0.4 + rng.next() * 1.2));
    if (at >= endMs) break;
    const kind = firstRound.shift() ?? rng.pick(FAULT_KINDS);
    faults.push({
      at,
      kind,
      lengthMs: rng.int(4_000, 12_000),
      size: rng.int(1, 4),
      server: rng.int(1, servers),
    });
  }
  return faults;
}

const MESSAGE_ROUTE = /^(POST|PATCH) \/channels\/\d+\/messages/;

export class FaultInjector {
  readonly applied = new Map<FaultKind, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private shortTokenEpisodes = 0;
  private slowEpisodes = 0;
  private outageEpisodes = 0;

  constructor(
    private readonly world: ChaosWorld,
    private readonly activity: Activity,
    private readonly rng: Rng,
  ) {}

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  apply(fault: Fault): void {
    const { panel, discord } = this.world;
    const server = this.world.servers[fault.server - 1] as ChaosServer;
    this.applied.set(fault.kind, (this.applied.get(fault.kind) ?? 0) + 1);
    switch (fault.kind) {
      case 'wings-drop':
        panel.faults.dropSockets(this.rng.chance(0.5) ? server.handle.uuid : undefined);
        return;
      case 'wings-restart':
        panel.faults.restartWings();
        return;
      case 'short-tokens':
        this.shortTokenEpisodes += 1;
        panel.setTokenLifetimeSec(3);
        this.later(fault.lengthMs, () => {
          if (--this.shortTokenEpisodes === 0) panel.setTokenLifetimeSec(600);
        });
        return;
      case 'panel-5xx':
        panel.faults.panelFailures({ status: this.rng.pick([500, 502, 503, 504]), count: fault.size });
        return;
      case 'panel-429':
        panel.faults.panelFailures({ status: 429, count: fault.size, retryAfterSec: this.rng.int(1, 3) });
        return;
      case 'panel-slow':
        this.slowEpisodes += 1;
        panel.faults.panelDelay(this.rng.int(800, 4_000));
        this.later(fault.lengthMs, () => {
          if (--this.slowEpisodes === 0) panel.faults.panelDelay(0);
        });
        return;
      case 'panel-outage':
        // A proxy in front of a dead panel: HTML 502s for everything; sockets already open stay up until dropped.
        this.outageEpisodes += 1;
        panel.faults.panelFailures({
          status: 502,
          count: 1_000_000,
          body: '<html><body>502 Bad Gateway</body></html>',
        });
        if (this.rng.chance(0.5)) panel.faults.dropSockets(server.handle.uuid);
        this.later(fault.lengthMs, () => {
          if (--this.outageEpisodes === 0) panel.faults.panelFailures({ status: 502, count: 0 });
        });
        return;
      case 'discord-429':
        discord.faults.failNext({
          route: MESSAGE_ROUTE,
          status: 429,
          count: fault.size,
          retryAfterMs: this.rng.int(200, 2_000),
        });
        return;
      case 'discord-5xx':
        discord.faults.failNext({ route: MESSAGE_ROUTE, status: this.rng.pick([500, 502, 503]), count: fault.size });
        return;
      case 'gateway-resume':
        if (this.rng.chance(0.5)) discord.closeGateway(4000);
        else discord.reconnectGateway();
        // Someone uses the bot while it reconnects: Discord holds the event for the resumed session.
        this.activity.command(this.rng.pick(this.world.members), 'member', server, 'stats');
        this.activity.command(this.rng.pick(this.world.moderators), 'moderator', server, 'logs', { lines: 5 });
        return;
      case 'gateway-new-session':
        if (this.rng.chance(0.5)) discord.closeGateway(4009);
        else discord.invalidateSession(false);
        this.activity.command(this.rng.pick(this.world.members), 'member', server, 'stats');
        this.later(this.rng.int(200, 2_000), () => this.activity.randomInteraction(server));
        return;
      case 'console-burst':
        this.activity.emitLines(server, this.rng.int(300, 1_500));
        return;
      case 'power-storm':
        this.activity.powerStorm(server);
        return;
    }
  }

  /** The faults stop: every episode ends now and nothing scheduled fires any more. */
  clearAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const { panel, discord } = this.world;
    panel.setTokenLifetimeSec(600);
    panel.faults.panelDelay(0);
    panel.faults.panelFailures({ status: 502, count: 0 });
    discord.faults.clear();
    this.shortTokenEpisodes = 0;
    this.slowEpisodes = 0;
    this.outageEpisodes = 0;
  }
}
