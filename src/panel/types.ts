/**
 * Literal unions shared with src/wings/protocol.ts. Defined here too so the panel module does not wait on the socket
 * module; the two definitions must stay identical until they are unified.
 */
export type ServerState = 'offline' | 'starting' | 'running' | 'stopping';
export type PowerAction = 'start' | 'stop' | 'restart' | 'kill';

export const SERVER_STATES: readonly ServerState[] = ['offline', 'starting', 'running', 'stopping'];
export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'stop', 'restart', 'kill'];
