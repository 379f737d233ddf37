// Small helpers shared by the Discord double: snowflakes that sort by time, waiting on conditions, JSON errors.

const DISCORD_EPOCH = 1420070400000n;
let lastTimestamp = 0n;
let increment = 0n;

/** A Discord snowflake for "now": 42 bits of ms since 2015, worker/process bits, a 12-bit counter. Strictly increasing. */
export function snowflake(at: number = Date.now()): string {
  let ts = BigInt(at) - DISCORD_EPOCH;
  if (ts < lastTimestamp) ts = lastTimestamp;
  if (ts === lastTimestamp) {
    increment += 1n;
    if (increment > 0xfffn) {
      ts += 1n;
      increment = 0n;
    }
  } else {
    increment = 0n;
  }
  lastTimestamp = ts;
  return ((ts << 22n) | (1n << 17n) | (1n << 12n) | increment).toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Token-like random string (interaction tokens, session ids). */
export function randomToken(bytes = 32): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Buffer.from(buf).toString('base64url');
}

/** Error carrying a Discord JSON error body; thrown by handlers, turned into a response by the HTTP layer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }
  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, code: this.code };
    if (this.errors) body.errors = this.errors;
    return body;
  }
}

export const Errors = {
  unknownChannel: () => new ApiError(404, 10003, 'Unknown Channel'),
  unknownGuild: () => new ApiError(404, 10004, 'Unknown Guild'),
  unknownMessage: () => new ApiError(404, 10008, 'Unknown Message'),
  unknownMember: () => new ApiError(404, 10007, 'Unknown Member'),
  unknownUser: () => new ApiError(404, 10013, 'Unknown User'),
  unknownWebhook: () => new ApiError(404, 10015, 'Unknown Webhook'),
  unknownCommand: () => new ApiError(404, 10063, 'Unknown application command'),
  unknownInteraction: () => new ApiError(404, 10062, 'Unknown interaction'),
  alreadyAcknowledged: () => new ApiError(400, 40060, 'Interaction has already been acknowledged.'),
  missingAccess: () => new ApiError(403, 50001, 'Missing Access'),
  missingPermissions: () => new ApiError(403, 50013, 'Missing Permissions'),
  emptyMessage: () => new ApiError(400, 50006, 'Cannot send an empty message'),
  notAuthor: () => new ApiError(403, 50005, 'Cannot edit a message authored by another user'),
  invalidWebhookToken: () => new ApiError(401, 50027, 'Invalid Webhook Token'),
  tooLarge: () => new ApiError(413, 40005, 'Request entity too large'),
  invalidForm: (errors: Record<string, unknown>) => new ApiError(400, 50035, 'Invalid Form Body', errors),
};

/** Builds Discord's nested `errors` object: path ['embeds', 0, 'description'] → { embeds: { 0: { description: { _errors } } } }. */
export function formError(path: (string | number)[], code: string, message: string): Record<string, unknown> {
  let node: Record<string, unknown> = { _errors: [{ code, message }] };
  for (let i = path.length - 1; i >= 0; i--) node = { [String(path[i])]: node };
  return node;
}

/** Resolves once `check()` returns a value other than undefined; re-checked whenever `subscribe`'s callback fires. */
export function waitUntil<T>(
  check: () => T | undefined,
  subscribe: (notify: () => void) => () => void,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const first = check();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`discord double: timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = subscribe(() => {
      const value = check();
      if (value === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    });
  });
}

/** A set of listeners notified on every change; used with waitUntil. */
export class Signal {
  private listeners = new Set<() => void>();
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  notify(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
