/**
 * One panel call over global fetch: auth + JSON headers, a timeout per attempt, no redirects followed, a capped body read,
 * 429 retries honouring Retry-After / X-RateLimit-Reset within a total wait budget, one retry of a GET on 502/503/504.
 * POSTs are retried only on 429, where the panel is known not to have acted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  badResponse,
  type CallContext,
  errorFromException,
  errorFromResponse,
  PanelError,
  rateLimited,
} from './errors.ts';

export interface TransportOptions {
  origin: string;
  host: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  /** Total time spent waiting between attempts of one call. */
  maxRetryWaitMs: number;
  /** Pause before the single retry of a GET answered 502/503/504. */
  retryBackoffMs: number;
  maxBodyBytes: number;
  logger?: Logger;
  fetch: typeof fetch;
  /** undici dispatcher whose connections resolve names through the guarded lookup (dns-guard.ts). */
  dispatcher?: RequestInit['dispatcher'];
}

export interface CallSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  ctx: CallContext;
}

export interface CallResult {
  status: number;
  text: string;
}

/** When no header says how long to wait after a 429. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;
const RETRYABLE_GET_STATUSES = new Set([502, 503, 504]);

class BodyTooLarge extends Error {}

async function readCapped(res: Response, cap: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > cap) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** How long the panel asked us to wait after a 429, in ms; undefined when it did not say. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers.get('x-ratelimit-reset')?.trim() || Number.NaN);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, Math.ceil(reset * 1000 - now));
  return undefined;
}

function redirectError(ctx: CallContext, status: number, location: string | null, requestUrl: string): PanelError {
  let target: URL | undefined;
  try {
    target = location ? new URL(location, requestUrl) : undefined;
  } catch {
    target = undefined;
  }
  // Without a JSON answer Laravel sends a refused key to its login page instead of answering 401.
  if (target && /\/auth\/login\/?$/.test(target.pathname)) {
    return new PanelError({
      kind: 'invalid_key',
      status,
      userMessage: `The panel at ${ctx.host} did not accept the API key (wrong, deleted or expired); create a client key under Account → API Credentials.`,
      message: `invalid_key: ${ctx.method} ${ctx.path} on ${ctx.host} → ${status} redirect to the login page`,
    });
  }
  const where = target && /^https?:$/.test(target.protocol) ? ` to ${target.origin}` : '';
  return badResponse(
    ctx,
    `redirected the request${where} instead of answering it; if that is where the panel lives, use that address.`,
    status,
  );
}

export async function call(opts: TransportOptions, spec: CallSpec): Promise<CallResult> {
  const { ctx } = spec;
  const url = `${opts.origin}${spec.path}`;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: `Bearer ${opts.apiKey}`,
    'User-Agent': 'ptero-bridge',
  };
  let body: string | undefined;
  if (spec.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(spec.body);
  }
  let waitedMs = 0;
  let rateLimitRetries = 0;
  let serverErrorRetried = false;

  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const log = (status: number | undefined, extra: Record<string, unknown> = {}) =>
      opts.logger?.debug(
        {
          panel: opts.host,
          method: spec.method,
          path: spec.path,
          status,
          durationMs: Math.round(performance.now() - started),
          attempt,
          ...extra,
        },
        'panel call',
      );
    let res: Response;
    let text: string;
    // A timer cleared when the call ends: AbortSignal.timeout would keep every finished call's timer (and its
    // request) alive for the whole timeout — thousands of them when many bindings start at once (bench scale).
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('panel call timed out', 'TimeoutError')),
      opts.timeoutMs,
    );
    try {
      const signal = controller.signal;
      const init: RequestInit = { method: spec.method, headers, body, redirect: 'manual', signal };
      if (opts.dispatcher !== undefined) init.dispatcher = opts.dispatcher;
      res = await opts.fetch(url, init);
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => {});
        text = '';
      } else {
        text = await readCapped(res, opts.maxBodyBytes);
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        log(undefined, { error: 'body_too_large' });
        throw badResponse(
          ctx,
          `sent an answer larger than ${Math.round(opts.maxBodyBytes / 1024)} KiB, which is not what its API sends — is the URL right?`,
        );
      }
      const mapped = errorFromException(ctx, err, opts.timeoutMs);
      // A connection dropped mid-body is a cut-off answer, not an unreachable panel.
      const error =
        mapped.kind === 'panel_unreachable' && isBodyError(err)
          ? badResponse(ctx, 'cut its answer off before the end; try again.')
          : mapped;
      log(undefined, { error: error.kind });
      throw error;
    } finally {
      clearTimeout(timer);
    }
    log(res.status);

    if (res.status >= 200 && res.status < 300) return { status: res.status, text };
    if (res.status >= 300 && res.status < 400) throw redirectError(ctx, res.status, res.headers.get('location'), url);

    if (res.status === 429) {
      const wait = retryAfterMs(res.headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
      if (rateLimitRetries < opts.maxRetries && waitedMs + wait <= opts.maxRetryWaitMs) {
        rateLimitRetries++;
        waitedMs += wait;
        opts.logger?.debug({ panel: opts.host, path: spec.path, waitMs: wait }, 'panel rate limit, waiting');
        await sleep(wait);
        continue;
      }
      throw rateLimited(ctx, wait);
    }

    if (
      spec.method === 'GET' &&
      RETRYABLE_GET_STATUSES.has(res.status) &&
      !serverErrorRetried &&
      opts.maxRetries > 0 &&
      waitedMs + opts.retryBackoffMs <= opts.maxRetryWaitMs
    ) {
      serverErrorRetried = true;
      waitedMs += opts.retryBackoffMs;
      await sleep(opts.retryBackoffMs);
      continue;
    }
    // Scrubbed before parsing: the panel's text is escaped and cut for Discord, after which the key could no longer be
    // found whole by PanelError.redact.
    throw errorFromResponse(ctx, res.status, opts.apiKey === '' ? text : text.split(opts.apiKey).join('[redacted]'));
  }
}

/** undici reports a body cut short as "terminated" (cause: other side closed) after the headers arrived. */
function isBodyError(err: unknown): boolean {
  return err instanceof Error && err.message === 'terminated';
}
