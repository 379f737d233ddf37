export type StoreErrorCode =
  | 'duplicate_name'
  | 'duplicate_server'
  | 'not_found'
  | 'corrupt'
  | 'decrypt_failed'
  | 'backend';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** One human sentence, safe to show in Discord; never contains a secret or a store password. */
  readonly userMessage: string;
  /** For 'backend': the short driver reason ("connection refused"), already scrubbed of credentials. */
  readonly detail?: string;
  constructor(code: StoreErrorCode, message: string, userMessage?: string, detail?: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.userMessage = userMessage ?? message;
    if (detail !== undefined) this.detail = detail;
  }
}

/** The store URL fit for messages and logs: user name and password removed. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** The password embedded in a store URL, if any (to scrub it from driver messages that might echo the URL). */
function urlSecrets(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url);
  if (!match?.[1]) return [];
  const userinfo = match[1];
  const secrets = [userinfo];
  const colon = userinfo.indexOf(':');
  if (colon >= 0 && colon < userinfo.length - 1) {
    const password = userinfo.slice(colon + 1);
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // a password with a stray % is used verbatim by the drivers, which is already covered
    }
  }
  return secrets.filter((s) => s.length > 0);
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const record = e as { code?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof record.code === 'string') return record.code;
    e = record.originalError ?? record.cause;
  }
  return undefined;
}

/** A short reason for a driver error: "connection refused", "authentication failed", …; never the password. */
export function describeBackendError(error: unknown, url: string): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  let reason: string;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) reason = 'connection refused';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = 'host not found';
  else if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) reason = 'timed out';
  else if (code === 'ECONNRESET' || /socket closed|connection terminated/i.test(message)) reason = 'connection lost';
  else if (code === '28P01' || code === '28000' || /WRONGPASS|NOAUTH|authentication failed/i.test(message))
    reason = 'authentication failed';
  else if (code === '3D000') reason = 'database does not exist';
  else if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_CANTOPEN')
    reason = `cannot open the file (${code})`;
  else reason = message.split('\n')[0] || 'unknown error';
  for (const secret of urlSecrets(url)) reason = reason.split(secret).join('***');
  return reason;
}

/**
 * Wraps a driver error. The driver error itself is deliberately not kept as `cause`: pg errors carry the client
 * with its connection parameters (password included), and a logged cause would print them.
 */
export function backendError(error: unknown, url: string, action: string): StoreError {
  if (error instanceof StoreError) return error;
  const reason = describeBackendError(error, url);
  return new StoreError(
    'backend',
    `store ${action} failed at ${redactStoreUrl(url)}: ${reason}`,
    'The bot cannot reach its database right now; please try again in a moment.',
    reason,
  );
}
