// The REST side's plumbing: routing, bot auth, global + per-route rate limits, fault/latency injection, body parsing,
// metrics. Route handlers live in rest-routes.ts and interactions.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bucketHash, type Limit, RateLimiter, rateLimitHeaders, type Take } from './ratelimit.ts';
import { ApiError, Errors } from './util.ts';
import type { UploadedFile } from './validate.ts';

export interface RouteContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  files: UploadedFile[];
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface RouteDef {
  method: string;
  /** Template such as '/channels/:channel/messages/:message'. */
  path: string;
  /** 'bot': needs `Authorization: Bot <token>` and counts against the global limit; 'token': interaction/webhook token. */
  auth: 'bot' | 'none' | 'token';
  /** Bucket: limit + the major parameter it is keyed by. */
  bucket: (params: Record<string, string>) => { limit: Limit; major: string };
  handler: (ctx: RouteContext) => Promise<Reply> | Reply;
}

export interface FaultRule {
  /** String: a route template ('POST /channels/:channel/messages' or '/channels/:channel/messages');
   *  RegExp: tested against 'METHOD /actual/path' (path without /api/v10). */
  route: string | RegExp;
  status: number;
  count: number;
  retryAfterMs?: number;
  global?: boolean;
  /** Body for non-429 faults, e.g. { message: 'Unknown Message', code: 10008 }; default a generic 5xx body. */
  body?: unknown;
}

export interface LatencyRule {
  route?: string | RegExp;
  ms: number;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  route: string;
  status: number;
}

export class HttpMetrics {
  readonly perRoute = new Map<string, number>();
  readonly log: RequestLogEntry[] = [];
  total = 0;
  rateLimited = 0;
  globalRateLimited = 0;
  invalid = 0;
  count(route: string): number {
    return this.perRoute.get(route) ?? 0;
  }
}

export interface HttpOptions {
  botToken: string;
  globalLimit: Limit;
  maxRequestBytes: number;
}

function matches(rule: { route?: string | RegExp }, route: string, actual: string): boolean {
  if (rule.route === undefined) return true;
  if (rule.route instanceof RegExp) return rule.route.test(actual);
  return rule.route === route || rule.route === route.slice(route.indexOf(' ') + 1);
}

export class RestServer {
  readonly metrics = new HttpMetrics();
  readonly faults: FaultRule[] = [];
  readonly latency: LatencyRule[] = [];
  private readonly limiter = new RateLimiter();
  private readonly routes: { def: RouteDef; segments: string[]; hash: string }[] = [];

  constructor(private readonly options: HttpOptions) {}

  add(def: RouteDef): void {
    this.routes.push({ def, segments: def.path.split('/').slice(1), hash: bucketHash(`${def.method} ${def.path}`) });
  }

  private match(method: string, path: string) {
    const parts = path.split('/').slice(1);
    for (const route of this.routes) {
      if (route.def.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i] as string;
        const part = decodeURIComponent(parts[i] as string);
        if (seg.startsWith(':')) params[seg.slice(1)] = part;
        else if (seg !== part) ok = false;
        if (!ok) break;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const prefix = '/api/v10';
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length).replace(/\/$/, '') : '';
    const found = path ? this.match(method, path) : undefined;
    const template = found ? `${method} ${found.route.def.path}` : `${method} (unknown)`;
    const actual = `${method} ${path || url.pathname}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const send = (status: number, body?: unknown) => {
      this.metrics.log.push({ at: Date.now(), method, path: path || url.pathname, route: template, status });
      if (status === 401 || status === 403) this.metrics.invalid += 1;
      if (status === 204 || body === undefined) {
        delete headers['content-type'];
        res.writeHead(status, headers).end();
      } else {
        res.writeHead(status, headers).end(JSON.stringify(body));
      }
    };
    this.metrics.total += 1;
    this.metrics.perRoute.set(template, this.metrics.count(template) + 1);

    const delay = this.latency.find((l) => matches(l, template, actual));
    if (delay) await new Promise((r) => setTimeout(r, delay.ms));

    if (!found) {
      req.resume();
      return send(404, { message: '404: Not Found', code: 0 });
    }
    const { def, hash } = found.route;
    if (def.auth === 'bot') {
      if (req.headers.authorization !== `Bot ${this.options.botToken}`) {
        req.resume();
        return send(401, { message: '401: Unauthorized', code: 0 });
      }
      const global = this.limiter.take('global', 'global', this.options.globalLimit);
      if (!global.ok) {
        req.resume();
        return this.tooMany(send, headers, global, true);
      }
    }

    const fault = this.faults.find((f) => f.count > 0 && matches(f, template, actual));
    const { limit, major } = def.bucket(found.params);
    if (fault) {
      fault.count -= 1;
      req.resume();
      if (fault.status === 429) {
        const retryAt = Date.now() + (fault.retryAfterMs ?? 1000);
        return this.tooMany(
          send,
          headers,
          { ok: false, limit: limit.limit, remaining: 0, resetAt: retryAt, hash },
          fault.global ?? false,
        );
      }
      return send(fault.status, fault.body ?? { message: `${fault.status}: Injected fault`, code: 0 });
    }

    const bucket = this.limiter.take(`${hash}:${major}`, hash, limit);
    Object.assign(headers, rateLimitHeaders(bucket));
    if (!bucket.ok) {
      req.resume();
      return this.tooMany(send, headers, bucket, false);
    }

    try {
      const { body, files } = await this.readBody(req);
      const reply = await def.handler({ method, path, params: found.params, query: url.searchParams, body, files });
      return send(reply.status, reply.body);
    } catch (err) {
      if (err instanceof ApiError) return send(err.status, err.body());
      const message = err instanceof Error ? err.message : String(err);
      return send(500, { message: `500: Internal Server Error (${message})`, code: 0 });
    }
  }

  private tooMany(
    send: (status: number, body?: unknown) => void,
    headers: Record<string, string>,
    bucket: Take,
    global: boolean,
  ): void {
    const retryAfter = Math.max(0, bucket.resetAt - Date.now()) / 1000;
    this.metrics.rateLimited += 1;
    this.metrics.invalid += 1;
    if (global) {
      this.metrics.globalRateLimited += 1;
      headers['x-ratelimit-global'] = 'true';
    } else {
      Object.assign(headers, rateLimitHeaders(bucket));
    }
    headers['retry-after'] = retryAfter.toFixed(3);
    headers['x-ratelimit-scope'] = global ? 'global' : 'user';
    send(429, { message: 'You are being rate limited.', retry_after: Number(retryAfter.toFixed(3)), global });
  }

  private async readBody(req: IncomingMessage): Promise<{ body: Record<string, unknown>; files: UploadedFile[] }> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.options.maxRequestBytes) throw Errors.tooLarge();
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (raw.length === 0) return { body: {}, files: [] };
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      let body: Record<string, unknown> = {};
      const files: UploadedFile[] = [];
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') body = JSON.parse(value) as Record<string, unknown>;
        } else {
          files.push({
            field,
            name: value.name,
            contentType: value.type || 'application/octet-stream',
            content: Buffer.from(await value.arrayBuffer()),
          });
        }
      }
      return { body, files };
    }
    try {
      return { body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, files: [] };
    } catch {
      throw new ApiError(400, 50109, 'The request body contains invalid JSON.');
    }
  }
}
