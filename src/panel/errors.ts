/**
 * Typed panel errors and the mapping from an HTTP answer (or a failed connection) to one of them. Each error carries one
 * sentence a person can act on (`userMessage`, safe for Discord) and a technical `message` for logs. Neither ever
 * contains the API key: the client passes the key nowhere near this module, and scrubs every text once more on the way out.
 */
import { z } from 'zod';

export type PanelErrorKind =
  | 'invalid_key'
  | 'missing_permission'
  | 'application_key'
  | 'ip_not_allowed'
  | 'two_factor_required'
  | 'server_not_found'
  | 'server_conflict'
  | 'server_offline'
  | 'node_unreachable'
  | 'node_error'
  | 'panel_unreachable'
  | 'panel_timeout'
  | 'rate_limited'
  | 'bad_response'
  | 'validation'
  | 'panel_error';

/** Why a server refused with 409, read from the panel's `detail` text. */
export type ConflictReason =
  | 'suspended'
  | 'installing'
  | 'install_failed'
  | 'transferring'
  | 'restoring'
  | 'maintenance'
  | 'unknown';

export interface PanelErrorInit {
  kind: PanelErrorKind;
  userMessage: string;
  message?: string;
  status?: number;
  retryAfterMs?: number;
  detail?: string;
  conflict?: ConflictReason;
}

export class PanelError extends Error {
  override name = 'PanelError';
  readonly kind: PanelErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly userMessage: string;
  readonly detail?: string;
  readonly conflict?: ConflictReason;
  constructor(init: PanelErrorInit) {
    super(init.message ?? `${init.kind}: ${init.userMessage}`);
    this.kind = init.kind;
    this.userMessage = init.userMessage;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.detail !== undefined) this.detail = init.detail;
    if (init.conflict !== undefined) this.conflict = init.conflict;
  }

  /** A copy with `secret` replaced in every text; defence in depth should a panel or proxy ever echo the key. */
  redact(secret: string): PanelError {
    if (secret === '') return this;
    const escaped = escapeMarkdown(secret);
    const clean = (s: string) => s.split(secret).join('[redacted]').split(escaped).join('[redacted]');
    const texts = [this.message, this.userMessage, this.detail ?? ''];
    if (!texts.some((t) => t.includes(secret) || t.includes(escaped))) return this;
    const init: PanelErrorInit = {
      kind: this.kind,
      userMessage: clean(this.userMessage),
      message: clean(this.message),
    };
    if (this.status !== undefined) init.status = this.status;
    if (this.retryAfterMs !== undefined) init.retryAfterMs = this.retryAfterMs;
    if (this.detail !== undefined) init.detail = clean(this.detail);
    if (this.conflict !== undefined) init.conflict = this.conflict;
    return new PanelError(init);
  }
}

/** What the failing call was, so the sentence can name the server and the permission it needs. */
export interface CallContext {
  host: string;
  method: string;
  path: string;
  serverId?: string;
  /** The permission the call needs on the server (websocket.connect, control.start, control.console, …). */
  permission?: string;
  /** True for the command call, where 502 means "the server is not running". */
  isCommand?: boolean;
}

const panelErrorBody = z.object({
  errors: z
    .array(
      z.object({
        code: z.string().optional(),
        status: z.union([z.string(), z.number()]).optional(),
        detail: z.string().optional(),
      }),
    )
    .min(1),
});

export interface PanelErrorEntry {
  code: string;
  detail: string;
}

/** The entries of the panel's `{"errors":[…]}` body, or undefined when the body is not that (HTML, a proxy page). */
export function parsePanelErrorBody(text: string | undefined): PanelErrorEntry[] | undefined {
  if (text === undefined || text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = panelErrorBody.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.errors.map((e) => ({ code: e.code ?? '', detail: (e.detail ?? '').slice(0, 500) }));
}

/** Longest panel-supplied text (`detail`, or its part of a `userMessage`) the bot keeps or shows. */
export const MAX_PANEL_TEXT = 300;

function capText(text: string, max = MAX_PANEL_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Panel-supplied text placed in a `userMessage`, which Discord shows as markdown outside any code block: control
 * characters become spaces, markdown and mentions are made inert (as src/discord/format.ts `inert` does; the panel
 * module does not depend on Discord code), and the length is bounded.
 */
export function panelText(text: string, max = MAX_PANEL_TEXT): string {
  return capText(escapeMarkdown(text), max);
}

function escapeMarkdown(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/([\\*_~`|[\]<>#])/g, '\\$1')
    .replace(/@/g, '@\u200b');
}

export function conflictReason(detail: string): ConflictReason {
  const d = detail.toLowerCase();
  if (d.includes('suspended')) return 'suspended';
  if (d.includes('installation has failed') || d.includes('install failed')) return 'install_failed';
  if (d.includes('installation') || d.includes('installing')) return 'installing';
  if (d.includes('transferred') || d.includes('transferring')) return 'transferring';
  if (d.includes('restoring') || d.includes('backup')) return 'restoring';
  if (d.includes('maintenance')) return 'maintenance';
  return 'unknown';
}

const CONFLICT_SENTENCE: Record<ConflictReason, string> = {
  suspended: 'is suspended, so this is unavailable until a panel administrator unsuspends it',
  installing: 'is still installing; try again once the installation has finished',
  install_failed: 'failed to install; reinstall it on the panel first',
  transferring: 'is being moved to another node; try again once the transfer has finished',
  restoring: 'is restoring a backup; try again once the restore has finished',
  maintenance: "is on a node under maintenance; try again when the panel's administrator ends the maintenance",
  unknown: 'is in a state where the panel refuses this right now; try again later',
};

function serverLabel(ctx: CallContext): string {
  return ctx.serverId ? `server ${ctx.serverId}` : 'the server';
}

function technical(ctx: CallContext, status: number | string, entries: PanelErrorEntry[] | undefined): string {
  const first = entries?.[0];
  const panelSays = first ? ` (${first.code || 'error'}: ${first.detail})` : '';
  return `${ctx.method} ${ctx.path} on ${ctx.host} → ${status}${panelSays}`;
}

const NOT_THE_API = 'answered with something that is not its API — is the URL right?';

/** `note` is technical (e.g. which field failed validation) and goes only into `message`. */
export function badResponse(ctx: CallContext, why: string, status?: number, note?: string): PanelError {
  const init: PanelErrorInit = {
    kind: 'bad_response',
    userMessage: `The panel at ${ctx.host} ${why}`,
    message: `bad_response: ${ctx.method} ${ctx.path} on ${ctx.host}${status ? ` → ${status}` : ''}: ${note ?? why}`,
  };
  if (status !== undefined) init.status = status;
  return new PanelError(init);
}

export function notTheApi(ctx: CallContext, status?: number, note?: string): PanelError {
  return badResponse(ctx, NOT_THE_API, status, note);
}

export function rateLimited(ctx: CallContext, retryAfterMs: number): PanelError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new PanelError({
    kind: 'rate_limited',
    status: 429,
    retryAfterMs,
    userMessage: `The panel at ${ctx.host} is rate-limiting the bot; try again in about ${seconds} s.`,
    message: `rate_limited: ${ctx.method} ${ctx.path} on ${ctx.host} → 429, retry after ${retryAfterMs} ms`,
  });
}

/** Maps a non-2xx, non-429 answer to its typed error. */
export function errorFromResponse(ctx: CallContext, status: number, bodyText: string | undefined): PanelError {
  const entries = parsePanelErrorBody(bodyText);
  const joined = entries?.map((e) => e.detail).join(' ');
  const detail = joined === undefined ? undefined : capText(joined);
  const code = entries?.[0]?.code ?? '';
  const message = technical(ctx, status, entries);
  const make = (kind: PanelErrorKind, userMessage: string, extra: Partial<PanelErrorInit> = {}) => {
    const init: PanelErrorInit = { kind, userMessage, message: `${kind}: ${message}`, status, ...extra };
    if (detail) init.detail = detail;
    return new PanelError(init);
  };
  const host = ctx.host;

  if (status === 401) {
    return make(
      'invalid_key',
      `The panel at ${host} did not accept the API key (wrong, deleted or expired); create a client key under Account → API Credentials.`,
    );
  }
  // Pterodactyl answers 400 for missing two-factor authentication; other builds may use 403.
  if (entries && (/TwoFactor/i.test(code) || /two[- ]factor/i.test(detail ?? ''))) {
    return make(
      'two_factor_required',
      `The panel at ${host} requires two-factor authentication for the API key's user; enable it on that account and try again.`,
    );
  }
  if (status === 403 && entries) {
    if (/application api key/i.test(detail ?? '')) {
      return make(
        'application_key',
        `That is an application API key; the bot needs a client key, created on ${host} under Account → API Credentials.`,
      );
    }
    if (/IP address/i.test(detail ?? '')) {
      return make(
        'ip_not_allowed',
        `The API key is restricted to certain IP addresses on ${host} and the bot's address is not one of them; allow it under Account → API Credentials or use a key without the restriction.`,
      );
    }
    const what = ctx.permission
      ? `lacks the ${ctx.permission} permission on ${serverLabel(ctx)}`
      : `is not allowed to do this on ${serverLabel(ctx)}`;
    return make(
      'missing_permission',
      `The API key's user ${what} at ${host}; the server owner can grant it under Users.`,
    );
  }
  if (status === 404 && entries) {
    if (ctx.serverId) {
      return make(
        'server_not_found',
        `Server ${ctx.serverId} was not found on ${host}, or the API key's user neither owns it nor is a subuser of it.`,
      );
    }
    return notTheApi(ctx, status);
  }
  if (status === 409 && entries) {
    const conflict = conflictReason(detail ?? '');
    return make('server_conflict', `${capitalise(serverLabel(ctx))} on ${host} ${CONFLICT_SENTENCE[conflict]}.`, {
      conflict,
    });
  }
  if ((status === 400 || status === 422) && entries) {
    return make(
      'validation',
      `The panel at ${host} refused the request: ${detail ? panelText(detail) : 'invalid input'}`,
    );
  }
  if (status === 502 && ctx.isCommand && entries) {
    return make(
      'server_offline',
      `${capitalise(serverLabel(ctx))} on ${host} is not running; start it before sending commands.`,
    );
  }
  if (status === 504 && entries) {
    return make(
      'node_unreachable',
      `The panel at ${host} cannot reach the node (Wings) that runs ${serverLabel(ctx)}; the node may be down — try again later.`,
    );
  }
  if (
    status >= 500 &&
    entries &&
    (/Daemon/i.test(code) || /machine running this server|remote host/i.test(detail ?? ''))
  ) {
    return make(
      'node_error',
      `The node (Wings) running ${serverLabel(ctx)} answered the panel at ${host} with an error (${status}); try again later.`,
    );
  }
  if (status >= 500) {
    return make('panel_error', `The panel at ${host} had an internal problem (HTTP ${status}); try again later.`);
  }
  if (entries) {
    return make(
      'panel_error',
      `The panel at ${host} refused the request (HTTP ${status}): ${panelText(detail || code)}`,
    );
  }
  // A 4xx page that is not the panel's JSON: a firewall, a proxy, or not a panel at all.
  return notTheApi(ctx, status);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const TLS_CODES =
  /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Maps a thrown fetch / body-read failure to its typed error. */
export function errorFromException(ctx: CallContext, err: unknown, timeoutMs: number): PanelError {
  const code = errorCode(err);
  const host = ctx.host;
  if (isTimeout(err) || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new PanelError({
      kind: 'panel_timeout',
      userMessage: `The panel at ${host} did not answer within ${Math.round(timeoutMs / 100) / 10} s; it may be overloaded or down — try again later.`,
      message: `panel_timeout: ${ctx.method} ${ctx.path} on ${host} after ${timeoutMs} ms`,
    });
  }
  let why: string;
  if (code === 'ECONNREFUSED') why = 'refused the connection (nothing is listening there)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = 'could not be found (the name does not resolve)';
  else if (code === 'ERR_FORBIDDEN_ADDRESS')
    why = 'resolves to a link-local or cloud-metadata address, which the bot never connects to';
  else if (code && TLS_CODES.test(code)) why = `has a TLS certificate the bot does not trust (${code})`;
  else if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') why = 'closed the connection unexpectedly';
  else why = `could not be reached${code ? ` (${code})` : ''}`;
  return new PanelError({
    kind: 'panel_unreachable',
    userMessage: `The panel at ${host} ${why}; check the address and that the panel is up.`,
    message: `panel_unreachable: ${ctx.method} ${ctx.path} on ${host}: ${code ?? (err instanceof Error ? err.message : 'unknown error')}`,
  });
}
