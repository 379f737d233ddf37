/**
 * The vocabulary the panel API and the Wings socket share (server states, power actions and the permission each
 * action needs). It lives in the lower layer; src/wings/protocol.ts re-exports it.
 */
export type ServerState = 'offline' | 'starting' | 'running' | 'stopping';
export type PowerAction = 'start' | 'stop' | 'restart' | 'kill';

export const SERVER_STATES: readonly ServerState[] = ['offline', 'starting', 'running', 'stopping'];
export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'stop', 'restart', 'kill'];

/** The key permission each power action needs, on the panel's REST API and on the socket alike (kill = control.stop). */
export const POWER_PERMISSION: Record<PowerAction, string> = {
  start: 'control.start',
  stop: 'control.stop',
  kill: 'control.stop',
  restart: 'control.restart',
};
