/**
 * Shared, reference-counted Wings connections: one socket per (panel URL, server id, API key identity), opened by the
 * first subscriber and closed when the last one releases it. Commands, the console feed and the power panel all use
 * the same socket, which keeps us far under Wings' 30-sockets-per-server cap (§7.4). Subscribing to a connection that
 * has stopped for good restarts it once.
 */
import type { Logger } from 'pino';
import { apiKeyIdentity, PanelClient } from '../panel/index.ts';
import { type Clock, systemClock } from './clock.ts';
import { ConnectGate } from './connect-gate.ts';
import { WingsConnection, type WingsConnectionOptions } from './connection.ts';
import { DEFAULT_WS_TOKEN_LIMIT, SlidingWindowLimiter } from './token-limit.ts';
import type { CredentialSource } from './types.ts';

export interface WingsTarget {
  panelUrl: string;
  serverId: string;
  apiKey: string;
}

export interface WingsSubscription {
  readonly connection: WingsConnection;
  /** Idempotent: releasing twice counts once. */
  release(): void;
}

export type HubConnectionOptions = Omit<
  WingsConnectionOptions,
  'serverId' | 'panelUrl' | 'credentials' | 'logger' | 'tokenLimiter' | 'connectGate'
>;

export interface WingsHubOptions {
  logger: Logger;
  /** Default: a PanelClient for the target. Anything with getServer + getWebsocketCredentials will do. */
  createPanelClient?: (target: WingsTarget) => CredentialSource;
  connectionOptions?: HubConnectionOptions;
  /** Connections of one panel in their panel phase (details + token) at once. Default 100. */
  maxConcurrentConnects?: number;
}

interface Entry {
  connection: WingsConnection;
  refs: number;
}

function normalisePanelUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

export class WingsHub {
  private readonly entries = new Map<string, Entry>();
  /** The panel's websocket-token limit is per server, whichever key asks: share one budget per (panel, server). */
  private readonly limiters = new Map<string, SlidingWindowLimiter>();
  private readonly gates = new Map<string, ConnectGate>();
  private readonly clock: Clock;

  constructor(private readonly options: WingsHubOptions) {
    this.clock = options.connectionOptions?.clock ?? systemClock;
  }

  /** Open connections. */
  get size(): number {
    return this.entries.size;
  }

  subscribe(target: WingsTarget): WingsSubscription {
    const panelUrl = normalisePanelUrl(target.panelUrl);
    const serverKey = `${panelUrl}|${target.serverId}`;
    const key = `${serverKey}|${apiKeyIdentity(target.apiKey.trim())}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const create =
        this.options.createPanelClient ??
        ((t: WingsTarget) => new PanelClient({ panelUrl: t.panelUrl, apiKey: t.apiKey, logger: this.options.logger }));
      const connection = new WingsConnection({
        ...this.options.connectionOptions,
        serverId: target.serverId,
        panelUrl,
        credentials: create({ ...target, panelUrl }),
        logger: this.options.logger,
        tokenLimiter: this.limiterFor(serverKey),
        connectGate: this.gateFor(panelUrl),
      });
      entry = { connection, refs: 0 };
      this.entries.set(key, entry);
      connection.start();
    } else if (entry.connection.connectionState.kind === 'stopped') {
      // Stopped for good (revoked key, lost permission, suspended…) while others still hold it. A new subscriber is
      // often the fix (a re-bound server, a re-granted permission), so it gets one fresh attempt; a still-broken target
      // stops again after a single panel call, so repeated subscriptions cannot turn into a retry storm.
      entry.connection.start();
    }
    entry.refs += 1;
    const owned = entry;
    let released = false;
    return {
      connection: owned.connection,
      release: () => {
        if (released) return;
        released = true;
        owned.refs -= 1;
        if (owned.refs > 0 || this.entries.get(key) !== owned) return;
        this.entries.delete(key);
        void owned.connection.close();
      },
    };
  }

  async closeAll(): Promise<void> {
    const connections = [...this.entries.values()].map((e) => e.connection);
    this.entries.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  private gateFor(panelUrl: string): ConnectGate {
    let gate = this.gates.get(panelUrl);
    if (gate === undefined) {
      gate = new ConnectGate(this.options.maxConcurrentConnects ?? 100);
      this.gates.set(panelUrl, gate);
    }
    return gate;
  }

  private limiterFor(serverKey: string): SlidingWindowLimiter {
    let limiter = this.limiters.get(serverKey);
    if (limiter === undefined) {
      limiter = new SlidingWindowLimiter(
        this.options.connectionOptions?.wsTokenLimit ?? DEFAULT_WS_TOKEN_LIMIT,
        this.clock,
      );
      this.limiters.set(serverKey, limiter);
    }
    return limiter;
  }
}
