// POST …/power and …/command: permission (FormRequest authorize) before validation, then the Wings call.
import type { ServerResponse } from 'node:http';
import { tokenHasPermission } from './jwt.ts';
import type { RequestContext } from './panel-api.ts';
import { PanelHttpError, sendEmpty, TEXT, validateField } from './panel-http.ts';
import type { WingsNode } from './wings-socket.ts';

const SIGNALS = ['start', 'stop', 'restart', 'kill'] as const;
const SIGNAL_PERMISSION: Record<string, string> = {
  start: 'control.start',
  stop: 'control.stop',
  kill: 'control.stop',
  restart: 'control.restart',
};

/** The panel's `can()`: owners and root admins may do everything; subusers need the exact permission. */
function can(c: RequestContext, permission: string): boolean {
  return c.user.admin || c.server.owners.has(c.user.id) || tokenHasPermission(c.permissions, permission);
}

export function handlePower(c: RequestContext, res: ServerResponse, wings: WingsNode): void {
  const signal = c.input.signal;
  const permission = typeof signal === 'string' ? (SIGNAL_PERMISSION[signal] ?? '__invalid') : '__invalid';
  if (!can(c, permission)) throw new PanelHttpError(403, 'AccessDeniedHttpException', TEXT.unauthorized);
  const action = validateField(c.input, 'signal', { in: SIGNALS });
  if (wings.nodeDown) throw new PanelHttpError(504, 'DaemonConnectionException', TEXT.daemonDown);
  // Wings answers 202 at once and runs the action in the background; failures only reach the Wings log.
  c.server.sim.power(action, 'rest').catch(() => undefined);
  sendEmpty(res, 204);
}

export function handleCommand(c: RequestContext, res: ServerResponse, wings: WingsNode): void {
  if (!can(c, 'control.console')) throw new PanelHttpError(403, 'AccessDeniedHttpException', TEXT.unauthorized);
  const command = validateField(c.input, 'command', {});
  if (wings.nodeDown) throw new PanelHttpError(504, 'DaemonConnectionException', TEXT.daemonDown);
  if (!c.server.sim.containerRunning) throw new PanelHttpError(502, 'HttpException', TEXT.commandOffline);
  c.server.sim.sendCommand(command, 'rest');
  sendEmpty(res, 204);
}
