/**
 * The Wings websocket wire format (shared/protocol/wings.md §1, §4–§7), as pure functions: no sockets, no timers.
 * Everything here is safe to call on hostile input — malformed data raises WingsProtocolError, never anything else.
 */

import { POWER_ACTIONS, type PowerAction, SERVER_STATES, type ServerState } from '../panel/types.ts';

export {
  POWER_ACTIONS,
  POWER_PERMISSION,
  type PowerAction,
  SERVER_STATES,
  type ServerState,
} from '../panel/types.ts';

export interface WingsFrame {
  event: string;
  args: string[];
}

export interface WingsStats {
  state: ServerState;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** Percent of one core, summed over cores (can exceed 100). */
  cpuAbsolute: number;
  diskBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  uptimeMs: number;
}

export class WingsProtocolError extends Error {
  override readonly name = 'WingsProtocolError';
}

/** Wings ≥ 1.12 closes the socket (1009) on inbound frames larger than this. */
export const MAX_INBOUND_FRAME_BYTES = 4096;

export const PERMISSION = {
  connect: 'websocket.connect',
  console: 'control.console',
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
} as const;

export function isServerState(value: unknown): value is ServerState {
  return typeof value === 'string' && (SERVER_STATES as readonly string[]).includes(value);
}

export function isPowerAction(value: unknown): value is PowerAction {
  return typeof value === 'string' && (POWER_ACTIONS as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's encoding/json matches field names case-insensitively; the last matching key wins, as in Go. */
function field(obj: Record<string, unknown>, name: string): unknown {
  let found: unknown;
  for (const [key, value] of Object.entries(obj)) {
    if (key.toLowerCase() === name) found = value;
  }
  return found;
}

/**
 * Parses one text frame. Mirrors how Wings itself decodes (§1): `args` may be missing (→ []), `null` elements become "",
 * field names match case-insensitively; anything else that is not a string is malformed.
 */
export function parseFrame(data: string): WingsFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    throw new WingsProtocolError('frame is not valid JSON');
  }
  if (!isRecord(raw)) throw new WingsProtocolError('frame is not a JSON object');
  const event = field(raw, 'event');
  if (typeof event !== 'string' || event === '') throw new WingsProtocolError('frame has no event name');
  const rawArgs = field(raw, 'args');
  if (rawArgs === undefined || rawArgs === null) return { event, args: [] };
  // The event name is quoted cut short: the reason is logged, and a hostile frame must not make a 100 KiB log line.
  const name = event.length > 64 ? `${event.slice(0, 64)}…` : event;
  if (!Array.isArray(rawArgs)) throw new WingsProtocolError(`frame "${name}" has non-array args`);
  const args: string[] = [];
  for (const arg of rawArgs) {
    if (arg === null) args.push('');
    else if (typeof arg === 'string') args.push(arg);
    else throw new WingsProtocolError(`frame "${name}" has a non-string arg`);
  }
  return { event, args };
}

export function encodeFrame(event: string, args?: string[]): string {
  return JSON.stringify(args === undefined || args.length === 0 ? { event } : { event, args });
}

/** Size on the wire of an encoded frame (UTF-8 bytes; we never negotiate compression). */
export function frameByteLength(event: string, args?: string[]): number {
  return Buffer.byteLength(encodeFrame(event, args), 'utf8');
}

function requireNumber(obj: Record<string, unknown>, name: string): number {
  const value = obj[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WingsProtocolError(`stats field "${name}" is not a number`);
  }
  return value;
}

/** Parses the JSON string carried by a `stats` event (§7.1). Units stay as Wings sends them: bytes, %, ms. */
export function parseStats(json: string): WingsStats {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new WingsProtocolError('stats payload is not valid JSON');
  }
  if (!isRecord(raw)) throw new WingsProtocolError('stats payload is not a JSON object');
  const state = raw.state;
  if (!isServerState(state)) throw new WingsProtocolError('stats payload has no valid state');
  const network = raw.network === undefined ? {} : raw.network;
  if (!isRecord(network)) throw new WingsProtocolError('stats field "network" is not an object');
  const networkNumber = (name: string): number => (network[name] === undefined ? 0 : requireNumber(network, name));
  const optional = (name: string): number => (raw[name] === undefined ? 0 : requireNumber(raw, name));
  return {
    state,
    memoryBytes: requireNumber(raw, 'memory_bytes'),
    memoryLimitBytes: optional('memory_limit_bytes'),
    cpuAbsolute: requireNumber(raw, 'cpu_absolute'),
    diskBytes: optional('disk_bytes'),
    networkRxBytes: networkNumber('rx_bytes'),
    networkTxBytes: networkNumber('tx_bytes'),
    uptimeMs: optional('uptime'),
  };
}

function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

function numericClaim(token: string, claim: string): number | undefined {
  const value = decodeJwtPayload(token)?.[claim];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `exp` in epoch seconds, read without verification (only Wings can verify). */
export function jwtExpiry(token: string): number | undefined {
  return numericClaim(token, 'exp');
}

/** `iat` in epoch seconds, read without verification. */
export function jwtIssuedAt(token: string): number | undefined {
  return numericClaim(token, 'iat');
}

/** Wings' rule (§5): `*` grants everything except permissions under `admin`. */
export function hasPermission(granted: string[], wanted: string): boolean {
  if (granted.includes(wanted)) return true;
  return granted.includes('*') && !wanted.startsWith('admin');
}

const REFRESHABLE_JWT_ERRORS = ['jwt: exp claim is invalid', 'jwt: created too far in past (denylist)'];

/** True when a `jwt error` text means "get a new token" rather than "give up" (the panel frontend's rule, §6). */
export function isRefreshableJwtError(text: string): boolean {
  const lower = text.toLowerCase();
  return REFRESHABLE_JWT_ERRORS.some((phrase) => lower.includes(phrase));
}

export function isMissingConnectPermissionError(text: string): boolean {
  return text.toLowerCase().includes('jwt: missing connect permission');
}

/** Close codes after which Wings will not accept us again (suspended server, §7.4). */
export const FATAL_CLOSE_CODES: readonly number[] = [4400, 4409];
