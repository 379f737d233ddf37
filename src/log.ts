/**
 * Structured logging (pino). Secrets are removed by configuration: any field whose name says it holds a secret is
 * censored wherever it appears, so a careless `log.info({ apiKey })` cannot leak. Errors logged under `err`/`error` lose
 * the interaction and webhook tokens in their request paths and the request bodies discord.js attaches to them.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

const SECRET_FIELDS = [
  'token',
  'apiKey',
  'api_key',
  'key',
  'jwt',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'encryptionKey',
  'discordToken',
];

/** Redaction paths: the field itself, and the same field one and two levels down (pino paths are explicit). */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `headers.${f}`]);

/**
 * Interaction and webhook tokens travel in Discord request paths (`/interactions/<id>/<token>/callback`,
 * `/webhooks/<app>/<token>/messages/@original`); whoever holds one can answer as the bot for 15 minutes.
 */
const TOKEN_PATH = /(\/(?:interactions|webhooks)\/[^/\s?#"'<>]+\/)[^/\s?#"'<>]+/g;

export function redactTokenPaths(text: string): string {
  return text.replace(TOKEN_PATH, '$1[redacted]');
}

/**
 * Error fields never logged: the body we sent (member input, message content) and @discordjs/rest's rate-limit bucket key,
 * which is `<webhook id>/<token>` for webhook routes.
 */
const DROPPED_ERROR_FIELDS = new Set(['requestBody', 'majorParameter']);

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactTokenPaths(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 5) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (DROPPED_ERROR_FIELDS.has(key)) continue;
    if (key === 'rawError' && typeof field === 'object' && field !== null) {
      // Discord's error body can echo what was sent; its code and message are what an operator needs.
      const raw = field as { code?: unknown; message?: unknown };
      out[key] = scrub({ code: raw.code, message: raw.message }, depth + 1);
      continue;
    }
    out[key] = scrub(field, depth + 1);
  }
  return out;
}

/** pino's error serializer, then token paths redacted in every text and request bodies dropped (src/log.ts). */
export function serializeError(value: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(value as Error);
  return scrub(serialized, 0);
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
