/** API key helpers: format checks and a loggable identity. None of these ever return or log the key itself. */
import { createHash } from 'node:crypto';

/** First 12 hex characters of sha256(key): stable per key, not reversible, safe for logs and cache keys. */
export function apiKeyIdentity(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 12);
}

/** A client API key: `ptlc_` (Pterodactyl) or `pacc_` (Pelican), 48 characters in all. */
export function looksLikeClientKey(apiKey: string): boolean {
  return /^(ptlc|pacc)_[A-Za-z0-9_]{43}$/.test(apiKey.trim());
}

/**
 * An application API key (`ptla_` / `papp_`), which the client API refuses; detected by prefix alone so the bot can
 * say "create a client key under Account → API Credentials" even for a mangled paste.
 */
export function looksLikeApplicationKey(apiKey: string): boolean {
  return /^(ptla|papp)_/.test(apiKey.trim());
}

/**
 * True when the key can be put in a header as is. A key with spaces, line breaks or non-ASCII would make fetch throw an
 * error that quotes the header value — i.e. the key — so it is refused before any request.
 */
export function isHeaderSafeKey(apiKey: string): boolean {
  return /^[\x21-\x7e]+$/.test(apiKey);
}
