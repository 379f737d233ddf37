/**
 * Environment → validated, typed configuration. The only module that reads process.env.
 * A missing or malformed value stops the start with one line naming the variable and the expected shape.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const booleanString = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const v = value.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
      return z.NEVER;
    });

function decodeEncryptionKey(raw: string): Buffer | undefined {
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const buf = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

/** Far above any real bot (Discord recommends ~1 shard per 1,000 guilds); catches typos like 20000. */
const MAX_SHARDS = 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  DISCORD_TOKEN: z
    .string({ error: 'DISCORD_TOKEN is not set' })
    .trim()
    .min(1, 'DISCORD_TOKEN is empty')
    .refine((t) => !/\s/.test(t), 'DISCORD_TOKEN must be the bare bot token (no spaces, no "Bot " prefix)'),
  DISCORD_API_BASE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = (v?.trim() || 'https://discord.com/api').replace(/\/+$/, '');
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'DISCORD_API_BASE must be an http(s) URL like https://discord.com/api',
        });
        return z.NEVER;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        ctx.addIssue({
          code: 'custom',
          message: 'DISCORD_API_BASE must be an http(s) URL like https://discord.com/api',
        });
        return z.NEVER;
      }
      return value;
    }),
  DISCORD_GUILD_ID: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .refine(
      (v) => v === undefined || /^\d{17,20}$/.test(v),
      'DISCORD_GUILD_ID must be a guild id (a snowflake of 17-20 digits)',
    ),
  STORE_URL: z
    .string()
    .optional()
    .transform((v) => v?.trim() || 'sqlite://data/ptero-bridge.sqlite')
    .refine(
      (v) => /^(sqlite|redis|rediss|postgres|postgresql):\/\/./.test(v),
      'STORE_URL must start with sqlite://, redis://, rediss:// or postgresql:// (e.g. sqlite://data/ptero-bridge.sqlite)',
    ),
  ENCRYPTION_KEY: z
    .string({
      error:
        "ENCRYPTION_KEY is not set: it must be 32 random bytes as base64 or hex; generate one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
    })
    .transform((v, ctx) => {
      const key = decodeEncryptionKey(v);
      if (!key) {
        ctx.addIssue({
          code: 'custom',
          message:
            "ENCRYPTION_KEY must be 32 bytes as base64 (44 characters) or hex (64 characters); generate one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
        });
        return z.NEVER;
      }
      return key;
    }),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((v) => (v?.trim().toLowerCase() || 'info') as (typeof LOG_LEVELS)[number])
    .refine((v) => (LOG_LEVELS as readonly string[]).includes(v), `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`),
  PANEL_URL_ALLOWLIST: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean)
        : [],
    ),
  ALLOW_HTTP_PANELS: booleanString('ALLOW_HTTP_PANELS', false),
  FEED_ANSI: booleanString('FEED_ANSI', true),
  CMD_OUTPUT_WINDOW_MS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v?.trim()) return 1500;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 10_000) {
        ctx.addIssue({
          code: 'custom',
          message: 'CMD_OUTPUT_WINDOW_MS must be a whole number of milliseconds, 0-10000',
        });
        return z.NEVER;
      }
      return n;
    }),
  SHARDS: z
    .string()
    .optional()
    .transform((v, ctx): number | 'auto' | undefined => {
      const value = v?.trim().toLowerCase();
      if (!value) return undefined;
      if (value === 'auto') return 'auto';
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > MAX_SHARDS) {
        ctx.addIssue({
          code: 'custom',
          message: `SHARDS must be auto or a whole number of shard processes, 1-${MAX_SHARDS} (leave it unset for one process)`,
        });
        return z.NEVER;
      }
      return n;
    }),
  METRICS_PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v?.trim()) return undefined;
      const n = Number(v.trim());
      if (!/^\d+$/.test(v.trim()) || n < 1 || n > 65_535) {
        ctx.addIssue({
          code: 'custom',
          message: 'METRICS_PORT must be a TCP port number, 1-65535 (unset = no metrics server)',
        });
        return z.NEVER;
      }
      return n;
    }),
  METRICS_HOST: z
    .string()
    .optional()
    .transform((v) => v?.trim() || '127.0.0.1')
    .refine(
      (v) => /^[A-Za-z0-9.:-]+$/.test(v) && !v.includes('://'),
      'METRICS_HOST must be an address to listen on, like 127.0.0.1 or 0.0.0.0',
    ),
});

export type Config = z.output<typeof schema>;

/** Reads and validates the configuration; throws ConfigError with a single human line on the first problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue?.path[0] ? String(issue.path[0]) : 'configuration';
    let message = issue?.message ?? 'invalid configuration';
    if (!message.includes(variable)) message = `${variable}: ${message}`;
    throw new ConfigError(message);
  }
  return result.data;
}
