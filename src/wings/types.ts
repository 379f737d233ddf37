/** Types shared by the socket, its inbound dispatcher and the hub (docs/contracts.md, `src/wings/`). */
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { BackoffOptions } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { LimitsOptions } from './outbound-queue.ts';
import type { ServerState, WingsStats } from './protocol.ts';
import type { SlidingWindowLimiter, TokenLimitOptions } from './token-limit.ts';

export type StopCode =
  | 'closed'
  | 'suspended'
  | 'server_not_found'
  | 'origin_rejected'
  | 'invalid_key'
  | 'missing_permission'
  | 'jwt_fatal'
  | 'deleted';

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'ready'; since: number }
  | { kind: 'retrying'; attempt: number; nextAttemptAt: number; reason: string }
  | { kind: 'stopped'; reason: string; code: StopCode };

export type InstallEvent = 'install started' | 'install completed' | 'install output';

export interface WingsConnectionEvents {
  /** One per `console output` arg, live or replayed by `send logs`. */
  console: [line: string];
  /** Emitted when the known server state changes, whether learnt from `status` or from `stats.state`. */
  status: [state: ServerState];
  stats: [stats: WingsStats];
  daemonError: [message: string];
  daemonMessage: [message: string];
  install: [event: InstallEvent, arg: string];
  backup: [event: string, arg: string];
  transfer: [event: string, arg: string];
  /** Wings dropped one of our messages (≥ 1.12 limits): arg is the event name or "global". */
  throttled: [what: string];
  state: [state: ConnectionState];
  /** After the `auth success` that follows every (re)connect; never after a token refresh. */
  ready: [];
  /**
   * After a refresh that followed an expired or denylisted token on the open socket: while it was invalid Wings replaced
   * every outbound event with `jwt error` (wings.md §3.3), so console output may be missing. `send logs` can fill it.
   */
  gap: [];
}

export interface WebsocketCredentials {
  token: string;
  socket: string;
}

/** What the socket needs from the panel; PanelClient satisfies it. */
export interface CredentialSource {
  getServer(serverId: string): Promise<{ permissions: string[]; isOwner?: boolean; isSuspended?: boolean }>;
  getWebsocketCredentials(serverId: string): Promise<WebsocketCredentials>;
}

export interface WingsConnectionOptions {
  serverId: string;
  /** Normalised panel origin; sent as the Origin header, which Wings compares exactly (§2). */
  panelUrl: string;
  credentials: CredentialSource;
  logger: Logger;
  backoff?: Partial<BackoffOptions>;
  /** Refresh at exp − min(refreshLeadMs, lifetime/2). Default 60 000. */
  refreshLeadMs?: number;
  /** Cap on websocket-token requests; ignored when `tokenLimiter` is given. Default 5 per 60 s. */
  wsTokenLimit?: TokenLimitOptions;
  /** A limiter shared with other connections to the same server (the panel limit is per server). */
  tokenLimiter?: SlidingWindowLimiter;
  /** Wings never pings; we do, and drop after `missedPongLimit` unanswered pings. Default 30 000. */
  pingIntervalMs?: number;
  missedPongLimit?: number;
  limits?: LimitsOptions;
  /** Upgrade handshake timeout. Default 10 000. */
  connectTimeoutMs?: number;
  /** No `auth success` this long after sending `auth` → drop and retry. Default 15 000. */
  authTimeoutMs?: number;
  /** Expiry complaints this soon after an `auth success` are about the previous token. Default 1000. */
  staleComplaintGraceMs?: number;
  maxFrameBytes?: number;
  clock?: Clock;
  random?: () => number;
  createSocket?: (url: string, options: ClientOptions) => WebSocket;
  /** Shared bound on connections in their panel phase (details + token); the hub passes one per panel. */
  connectGate?: { acquire(): Promise<() => void> };
}
