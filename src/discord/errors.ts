/**
 * Errors a person can act on. Every module's typed errors (PanelError, WingsError, StoreError, PanelUrlError) carry a
 * `userMessage`: one sentence that is safe to show in Discord. The router turns any such error into an ephemeral reply;
 * anything without one is a bug and becomes "something went wrong (ref XXXX)" with the full error logged.
 */
import { randomBytes } from 'node:crypto';

export class UserError extends Error {
  override name = 'UserError';
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}

/** The human sentence of a typed error, or undefined for an unexpected one. */
export function userMessageOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'userMessage' in error) {
    const message = (error as { userMessage: unknown }).userMessage;
    if (typeof message === 'string' && message.length > 0) return message;
  }
  return undefined;
}

/** A short reference that lets an operator find the logged error a user reports. */
export function errorReference(): string {
  return randomBytes(3).toString('hex').toUpperCase();
}
