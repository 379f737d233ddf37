/**
 * Console commands from Discord: validated before they reach Wings (a newline would smuggle a second command; control and
 * bidi characters hide what is sent), judged by the binding's command policy, then the console lines that follow are
 * collected for the reply, redacted with the binding's rules.
 */
import { UserError } from '../discord/errors.ts';
import { inert } from '../discord/format.ts';
import { describeRefusal, evaluateCommand, type PolicyVerdict } from '../policy/command-policy.ts';
import { compileRedaction, redactLine } from '../policy/redaction.ts';
import { commandPolicyOf } from '../policy/types.ts';
import type { LiveBinding } from './bridge.ts';

/** Well below Wings' 4096-byte frame limit once wrapped in its JSON envelope. */
export const MAX_COMMAND_LENGTH = 1000;

const LINE_BREAK = /[\r\n\u2028\u2029\u0085]/;
// C0 controls (tab included), DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidi overrides/isolates and zero-width characters: they make a command read differently from what runs.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/** Returns the command to send (trimmed) or throws a UserError that says what is wrong. */
export function validateConsoleCommand(input: string): string {
  const command = input.trim();
  if (command.length === 0) throw new UserError('The command is empty.');
  if (LINE_BREAK.test(command)) {
    throw new UserError('The command contains a line break; send one command at a time.');
  }
  if (CONTROL.test(command)) throw new UserError('The command contains control characters; remove them and try again.');
  if (INVISIBLE.test(command)) {
    throw new UserError('The command contains invisible or text-direction characters; type it plainly and try again.');
  }
  if (command.length > MAX_COMMAND_LENGTH) {
    throw new UserError(`The command is ${command.length} characters long; the limit is ${MAX_COMMAND_LENGTH}.`);
  }
  return command;
}

/** A command the binding's policy does not let through; the message says which word and how to change the list. */
export class CommandRefusedError extends UserError {
  override name = 'CommandRefusedError';
  constructor(
    readonly verdict: Exclude<PolicyVerdict, { ok: true }>,
    message: string,
  ) {
    super(message);
  }
}

/** Validates the command and applies the binding's policy; returns the command to send or throws. */
export function checkConsoleCommand(live: LiveBinding, input: string): string {
  const command = validateConsoleCommand(input);
  const verdict = evaluateCommand(commandPolicyOf(live.binding), command);
  if (!verdict.ok) throw new CommandRefusedError(verdict, describeRefusal(verdict, inert(live.binding.name, 64)));
  return command;
}

/**
 * Sends a command and gathers the console lines that arrive within `windowMs` (the game's answer). Collection starts
 * before the send so a fast reply is not missed.
 */
export async function runConsoleCommand(
  live: LiveBinding,
  input: string,
  options: { windowMs: number; maxLines?: number; onSent?: (command: string) => void },
): Promise<{ command: string; output: string[] }> {
  const command = checkConsoleCommand(live, input);
  const connection = live.connection;
  if (connection.serverState === 'offline') {
    throw new UserError(`${live.binding.name} is offline; start it before sending commands.`);
  }
  const output: string[] = [];
  const maxLines = options.maxLines ?? 200;
  const rules = compileRedaction(live.binding.redaction);
  const onLine = (line: string) => {
    if (output.length < maxLines) output.push(redactLine(line, rules));
  };
  connection.on('console', onLine);
  try {
    await connection.sendCommand(command);
    options.onSent?.(command);
    if (options.windowMs > 0) await new Promise((resolve) => setTimeout(resolve, options.windowMs).unref());
  } finally {
    connection.off('console', onLine);
  }
  return { command, output };
}
