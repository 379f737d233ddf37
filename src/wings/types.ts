/** Types shared by the socket, its inbound dispatcher and the hub (docs/contracts.md, `src/wings/`). */
import type { ServerState, WingsStats } from './protocol.ts';

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
