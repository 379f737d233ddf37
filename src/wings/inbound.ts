/**
 * Dispatch of frames received from Wings (§4.2). Malformed input is reported through `complain` and skipped; it never
 * throws. Complaint fields describe the frame (event name, sizes, parse error) and never carry its raw text.
 */
import type { RawData } from 'ws';
import {
  isMissingConnectPermissionError,
  isRefreshableJwtError,
  isServerState,
  parseFrame,
  parseStats,
  type ServerState,
  type WingsFrame,
  WingsProtocolError,
  type WingsStats,
} from './protocol.ts';
import type { RefreshTrigger } from './token-refresh.ts';
import type { WingsConnectionEvents } from './types.ts';

export interface InboundHost {
  emit<K extends keyof WingsConnectionEvents>(event: K, ...args: WingsConnectionEvents[K]): void;
  complain(what: string, fields: Record<string, unknown>): void;
  onAuthSuccess(): void;
  setServerState(state: ServerState): void;
  setStats(stats: WingsStats): void;
  refresh(reason: RefreshTrigger): void;
  jwtFatal(text: string, missingConnect: boolean): void;
  jwtNotice(text: string): void;
  deleted(): void;
  transferred(): void;
}

/** Events Wings may send that carry nothing we use (Pelican's egg-feature prompts). */
const IGNORED_EVENTS = new Set(['feature match']);

/** `transfer status` values after which the server lives on another node (§4.2, §12). */
const TRANSFER_DONE = new Set(['completed', 'success']);

export function dispatchFrame(host: InboundHost, text: string): void {
  let frame: WingsFrame;
  try {
    frame = parseFrame(text);
  } catch (error) {
    const reason = error instanceof WingsProtocolError ? error.message : 'unparseable frame';
    host.complain('malformed frame skipped', { reason, bytes: Buffer.byteLength(text) });
    return;
  }
  const first = frame.args[0] ?? '';
  switch (frame.event) {
    case 'auth success':
      host.onAuthSuccess();
      return;
    case 'status':
      if (isServerState(first)) host.setServerState(first);
      else host.complain('status frame with unknown state skipped', { length: first.length });
      return;
    case 'stats':
      handleStats(host, first);
      return;
    case 'console output':
      for (const line of frame.args) host.emit('console', line);
      return;
    case 'daemon error':
      host.emit('daemonError', first);
      return;
    case 'daemon message':
      host.emit('daemonMessage', first);
      return;
    case 'install output':
    case 'install started':
    case 'install completed':
      host.emit('install', frame.event, first);
      return;
    case 'backup completed':
    case 'backup restore completed':
      host.emit('backup', frame.event, first);
      return;
    case 'transfer logs':
    case 'transfer status':
      host.emit('transfer', frame.event, first);
      if (frame.event === 'transfer status' && TRANSFER_DONE.has(first.toLowerCase())) host.transferred();
      return;
    case 'deleted':
      host.deleted();
      return;
    case 'token expiring':
    case 'token expired':
      host.refresh(frame.event);
      return;
    case 'jwt error':
      handleJwtError(host, first);
      return;
    case 'throttled':
      host.complain('wings throttled a message', { what: first || 'global' });
      host.emit('throttled', first || 'global');
      return;
    default:
      if (!IGNORED_EVENTS.has(frame.event)) {
        host.complain('unknown event skipped', { event: frame.event.slice(0, 64), args: frame.args.length });
      }
  }
}

function handleStats(host: InboundHost, payload: string): void {
  let stats: WingsStats;
  try {
    stats = parseStats(payload);
  } catch (error) {
    const reason = error instanceof WingsProtocolError ? error.message : 'unparseable stats';
    host.complain('malformed stats skipped', { reason, bytes: Buffer.byteLength(payload) });
    return;
  }
  host.setStats(stats);
  host.setServerState(stats.state);
  host.emit('stats', stats);
}

function handleJwtError(host: InboundHost, text: string): void {
  host.jwtNotice(text);
  if (isRefreshableJwtError(text)) {
    host.refresh(text.toLowerCase().includes('denylist') ? 'denylist' : 'exp claim invalid');
  } else {
    host.jwtFatal(text, isMissingConnectPermissionError(text));
  }
}

/** A text frame's payload as a string, whatever shape ws delivered it in. */
export function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}
