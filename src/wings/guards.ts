/**
 * Up-front checks for what we send. Wings answers a request it will not honour with silence (missing permission,
 * command to an offline server, §4.1) or by closing the socket (frame over 4096 bytes, §7.4), so the bot refuses such
 * requests itself, with a sentence the user can act on.
 */
import { WingsError } from './errors.ts';
import { frameByteLength, hasPermission, isPowerAction, type PowerAction } from './protocol.ts';

export function checkPowerAction(action: unknown): asserts action is PowerAction {
  if (!isPowerAction(action)) throw new WingsError('invalid_command', `“${String(action)}” is not a power action.`);
}

/** Rejects empty, multi-line and over-long commands; the length is that of the encoded frame in bytes. */
export function checkCommandText(command: unknown, maxFrameBytes: number): asserts command is string {
  if (typeof command !== 'string' || command.trim() === '') {
    throw new WingsError('invalid_command', 'The command is empty.');
  }
  if (/[\r\n]/.test(command)) {
    // Wings appends one newline; an embedded one would run a second, unchecked command.
    throw new WingsError('invalid_command', 'The command must be a single line.');
  }
  const bytes = frameByteLength('send command', [command]);
  if (bytes > maxFrameBytes) {
    throw new WingsError(
      'command_too_long',
      `The command is too long (${bytes} bytes encoded; the server accepts at most ${maxFrameBytes}).`,
    );
  }
}

export function requirePermission(granted: string[], permission: string, message: string): void {
  if (!hasPermission(granted, permission)) throw new WingsError('missing_permission', message);
}
