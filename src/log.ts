/**
 * Structured logging (pino). Secrets are removed by configuration: any field whose name says it holds a secret is
 * censored wherever it appears, so a careless `log.info({ apiKey })` cannot leak.
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

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
