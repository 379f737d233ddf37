/**
 * Errors the socket layer hands to its callers. `userMessage` is one sentence that can be shown in Discord as is;
 * neither field ever carries an API key or a JWT.
 */

export type WingsErrorCode =
  | 'not_ready'
  | 'missing_permission'
  | 'offline'
  | 'command_too_long'
  | 'invalid_command'
  | 'stopped'
  | 'timeout'
  | 'busy';

export class WingsError extends Error {
  override readonly name = 'WingsError';
  readonly code: WingsErrorCode;
  readonly userMessage: string;

  constructor(code: WingsErrorCode, userMessage: string, message?: string) {
    super(message ?? userMessage);
    this.code = code;
    this.userMessage = userMessage;
  }
}

/**
 * What the socket needs to know about a failed panel request. Matches the panel module's PanelError by shape, so errors
 * from any credential source can be classified without importing a concrete class.
 */
export interface PanelFailure {
  kind?: string;
  status?: number;
  retryAfterMs?: number;
  userMessage?: string;
  conflict?: string;
}

export function asPanelFailure(error: unknown): PanelFailure {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as Record<string, unknown>;
  const failure: PanelFailure = {};
  if (typeof e.kind === 'string') failure.kind = e.kind;
  if (typeof e.status === 'number') failure.status = e.status;
  if (typeof e.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs)) failure.retryAfterMs = e.retryAfterMs;
  if (typeof e.userMessage === 'string') failure.userMessage = e.userMessage;
  if (typeof e.conflict === 'string') failure.conflict = e.conflict;
  return failure;
}

export type FatalPanelCode = 'invalid_key' | 'missing_permission' | 'server_not_found' | 'suspended';

const FATAL_KINDS: Record<string, FatalPanelCode> = {
  invalid_key: 'invalid_key',
  application_key: 'invalid_key',
  two_factor_required: 'invalid_key',
  missing_permission: 'missing_permission',
  ip_not_allowed: 'missing_permission',
  server_not_found: 'server_not_found',
};

const FATAL_STATUS: Record<number, FatalPanelCode> = {
  401: 'invalid_key',
  403: 'missing_permission',
  404: 'server_not_found',
};

const DEFAULT_FATAL_MESSAGE: Record<FatalPanelCode, string> = {
  invalid_key: 'The panel rejected the API key (revoked or invalid).',
  missing_permission: 'The API key is not allowed to open this server’s console.',
  server_not_found: 'The panel no longer knows this server, or the API key cannot see it.',
  suspended: 'The server is suspended on the panel.',
};

/**
 * A panel failure that retrying will not fix (401/403/404 class, 409 suspended), or undefined for transient ones.
 * A typed panel error is judged by its kind alone: a 403/404 that is not the panel's JSON (a Cloudflare challenge, a
 * proxy's maintenance page) arrives as `bad_response` with that status, and must be retried, not stop the socket for good.
 * The bare status rule is only for errors without a kind.
 */
export function fatalPanelFailure(error: unknown): { code: FatalPanelCode; reason: string } | undefined {
  const failure = asPanelFailure(error);
  const byKindOrStatus =
    failure.kind !== undefined
      ? Object.hasOwn(FATAL_KINDS, failure.kind)
        ? FATAL_KINDS[failure.kind]
        : undefined
      : failure.status !== undefined
        ? FATAL_STATUS[failure.status]
        : undefined;
  const code = (failure.conflict === 'suspended' ? 'suspended' : undefined) ?? byKindOrStatus;
  if (code === undefined) return undefined;
  return { code, reason: failure.userMessage ?? DEFAULT_FATAL_MESSAGE[code] };
}

/** A short description of an error for logs and retry reasons; never includes request headers or tokens. */
export function describeError(error: unknown): string {
  const failure = asPanelFailure(error);
  if (failure.userMessage !== undefined) return failure.userMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
