// The panel client API (§10): middleware order auth → client key → IP → per-user throttle → server binding →
// server access → state conflict, then the controllers a bot uses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import { type Flavour, mintWebsocketToken } from './jwt.ts';
import { FixedWindowLimiter } from './limiter.ts';
import type { Metrics, RequestRecord } from './metrics.ts';
import type { ApiKeyRecord, DoubleUser, Registry, ServerRecord } from './model.ts';
import { expectsJson, PanelHttpError, parseInput, readBody, sendJson, TEXT } from './panel-http.ts';
import { handleCommand, handlePower } from './panel-power.ts';
import { resourcesBody, serverAttributes } from './panel-views.ts';
import type { WingsNode } from './wings-socket.ts';

export interface PanelApiOptions {
  clock: Clock;
  flavour: Flavour;
  registry: Registry;
  wings: WingsNode;
  metrics: Metrics;
  daemonToken: string;
  clientRatePerMinute: number;
  wsTokenPerMinute: number;
  rateWindowMs: number;
  resourcesCacheMs: number;
  tokenLifetimeSec: () => number;
  panelUrl: () => string;
}

export interface PanelFailure {
  status: number;
  count: number;
  retryAfterSec?: number;
  body?: unknown;
}

export interface RequestContext {
  req: IncomingMessage;
  user: DoubleUser;
  key: ApiKeyRecord;
  server: ServerRecord;
  permissions: string[];
  input: Record<string, unknown>;
}

type Handler = (ctx: RequestContext, res: ServerResponse) => void | Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  server: boolean;
  handler?: Handler;
}

const SERVER = 'servers\\/([^/]+)';
export const WS_ROUTE = 'GET /api/client/servers/{server}/websocket';

export class PanelApi {
  failure: PanelFailure | undefined;
  delayMs = 0;
  private readonly clientLimiter: FixedWindowLimiter;
  private readonly wsLimiter: FixedWindowLimiter;
  private readonly resourcesCache = new Map<string, { at: number; body: unknown }>();
  private readonly routes: Route[];

  constructor(private readonly o: PanelApiOptions) {
    const now = () => o.clock.now();
    this.clientLimiter = new FixedWindowLimiter(o.clientRatePerMinute, o.rateWindowMs, now);
    this.wsLimiter = new FixedWindowLimiter(o.wsTokenPerMinute, o.rateWindowMs, now);
    const r = (method: string, suffix: string, name: string, server: boolean, handler?: Handler): Route => ({
      method,
      pattern: new RegExp(`^\\/api\\/client${suffix}\\/?$`),
      name: `${method} /api/client${name}`,
      server,
      ...(handler ? { handler } : {}),
    });
    this.routes = [
      r('GET', '', '', false),
      r('GET', '\\/account', '/account', false),
      r('GET', `\\/${SERVER}`, '/servers/{server}', true, (c, res) => this.viewServer(c, res)),
      r('GET', `\\/${SERVER}\\/websocket`, '/servers/{server}/websocket', true, (c, res) => this.websocket(c, res)),
      r('POST', `\\/${SERVER}\\/power`, '/servers/{server}/power', true, (c, res) => handlePower(c, res, o.wings)),
      r('POST', `\\/${SERVER}\\/command`, '/servers/{server}/command', true, (c, res) =>
        handleCommand(c, res, o.wings),
      ),
      r('GET', `\\/${SERVER}\\/resources`, '/servers/{server}/resources', true, (c, res) => this.resources(c, res)),
    ];
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      route: 'unknown',
      key: undefined,
      serverUuid: undefined,
      status: 0,
      at: this.o.clock.now(),
    };
    this.o.metrics.requestLog.push(rec);
    res.on('finish', () => {
      rec.status = res.statusCode;
    });
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) rec.key = bearer.slice(0, 16);
    const raw = await readBody(req);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failure && this.failure.count > 0) {
      this.failure.count -= 1;
      this.sendFailure(res, this.failure);
      return;
    }
    let rateHeaders: Record<string, string> = {};
    try {
      if (this.o.wings.isSocketPath(url.pathname)) {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Sec-Websocket-Version': '13' });
        res.end('Bad Request\n');
        return;
      }
      if (url.pathname === '/auth/login') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Login</title>');
        return;
      }
      const matching = this.routes.filter((rt) => rt.pattern.test(url.pathname));
      const route = matching.find((rt) => rt.method === rec.method);
      if (!route) {
        if (matching.length > 0) {
          const allowed = matching.map((m) => m.method).join(', ');
          throw new PanelHttpError(
            405,
            'MethodNotAllowedHttpException',
            `The ${rec.method} method is not supported for route ${url.pathname.slice(1)}. Supported methods: ${allowed}.`,
          );
        }
        throw new PanelHttpError(
          404,
          'NotFoundHttpException',
          `The route ${url.pathname.slice(1)} could not be found.`,
        );
      }
      rec.route = route.name;
      const key = bearer ? this.o.registry.findKey(bearer) : undefined;
      const user = key ? this.o.registry.users.get(key.userId) : undefined;
      if (!key || !user) {
        if (!expectsJson(req)) {
          res.writeHead(302, { Location: `${this.o.panelUrl()}/auth/login` });
          res.end();
          return;
        }
        throw new PanelHttpError(401, 'AuthenticationException', TEXT.unauthenticated);
      }
      const input = parseInput(req, raw);
      if (key.type !== 'client') throw new PanelHttpError(403, 'AccessDeniedHttpException', TEXT.applicationKey);
      const ip = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
      if (key.allowedIps.length > 0 && !key.allowedIps.includes(ip)) {
        throw new PanelHttpError(403, 'AccessDeniedHttpException', TEXT.ipDenied(ip));
      }
      const verdict = this.clientLimiter.hit(user.uuid);
      if (!verdict.allowed) throw tooMany(verdict.limit, verdict.retryAfterSec, verdict.resetAtSec);
      if (verdict.limit > 0) {
        rateHeaders = {
          'X-RateLimit-Limit': String(verdict.limit),
          'X-RateLimit-Remaining': String(verdict.remaining),
        };
      }
      if (!route.server) {
        if (route.name === 'GET /api/client/account') this.account(user, res, rateHeaders);
        else this.list(user, url, res, rateHeaders);
        return;
      }
      const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
      const server = this.o.registry.findServer(id);
      if (!server || server.sim.deleted) throw new PanelHttpError(404, 'NotFoundHttpException', TEXT.notFoundUnknown);
      rec.serverUuid = server.uuid;
      const permissions = server.permissionsFor(user);
      if (!permissions) throw new PanelHttpError(404, 'NotFoundHttpException', TEXT.notFoundNoAccess);
      if (route.name !== 'GET /api/client/servers/{server}') this.checkConflict(server, user, route.name);
      for (const [k, v] of Object.entries(rateHeaders)) res.setHeader(k, v);
      await route.handler?.({ req, user, key, server, permissions, input }, res);
    } catch (err) {
      const e =
        err instanceof PanelHttpError ? err : new PanelHttpError(500, 'HttpException', TEXT.internal, {}, undefined);
      sendJson(res, e.status, e.body(), { ...rateHeaders, ...e.headers });
    }
  }

  /** AuthenticateServerAccess → validateCurrentState (root admins may still get a token while installing/transferring). */
  private checkConflict(server: ServerRecord, user: DoubleUser, route: string): void {
    const sim = server.sim;
    let text: string | undefined;
    if (sim.suspended) text = TEXT.suspended;
    else if (server.nodeMaintenance) text = TEXT.maintenance;
    else if (sim.installing) text = TEXT.installing;
    else if (sim.transferring) text = TEXT.transferring;
    if (!text) return;
    const adminException = user.admin && route === WS_ROUTE && !sim.suspended && !server.nodeMaintenance;
    if (!adminException) throw new PanelHttpError(409, 'ConflictHttpException', text);
  }

  private sendFailure(res: ServerResponse, f: PanelFailure): void {
    const headers: Record<string, string> = {};
    if (f.retryAfterSec !== undefined) {
      headers['Retry-After'] = String(f.retryAfterSec);
      headers['X-RateLimit-Reset'] = String(this.o.clock.nowSec() + f.retryAfterSec);
    }
    const body =
      f.body ??
      new PanelHttpError(
        f.status,
        f.status === 429 ? 'ThrottleRequestsException' : 'HttpException',
        f.status === 429 ? TEXT.tooMany : TEXT.internal,
      ).body();
    if (typeof body === 'string') {
      res.writeHead(f.status, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    } else sendJson(res, f.status, body, headers);
  }

  private account(user: DoubleUser, res: ServerResponse, headers: Record<string, string>): void {
    const attributes = {
      id: user.id,
      admin: user.admin,
      username: user.username,
      email: user.email,
      first_name: user.username,
      last_name: 'Tester',
      language: 'en',
    };
    sendJson(res, 200, { object: 'user', attributes }, headers);
  }

  private list(user: DoubleUser, url: URL, res: ServerResponse, headers: Record<string, string>): void {
    const perPage = Number(url.searchParams.get('per_page') ?? 50);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      throw new PanelHttpError(400, 'BadRequestHttpException', 'Per page limit must be between 1 and 100.');
    }
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const type = url.searchParams.get('type');
    const all = [...this.o.registry.servers.values()].filter((s) => !s.sim.deleted);
    const visible = all.filter((s) => {
      if (user.admin && type === 'admin-all') return true;
      if (user.admin && type === 'admin') return !s.isListedFor(user);
      if (type === 'owner') return s.owners.has(user.id);
      return s.isListedFor(user);
    });
    const slice = visible.slice((page - 1) * perPage, page * perPage);
    const totalPages = Math.max(1, Math.ceil(visible.length / perPage));
    const links: Record<string, string> = {};
    const base = `${this.o.panelUrl()}/api/client`;
    if (page > 1) links.previous = `${base}?page=${page - 1}`;
    if (page < totalPages) links.next = `${base}?page=${page + 1}`;
    const body = {
      object: 'list',
      data: slice.map((s) => ({ object: 'server', attributes: serverAttributes(s, user) })),
      meta: {
        pagination: {
          total: visible.length,
          count: slice.length,
          per_page: perPage,
          current_page: page,
          total_pages: totalPages,
          links,
        },
      },
    };
    sendJson(res, 200, body, headers);
  }

  private viewServer(c: RequestContext, res: ServerResponse): void {
    const body = {
      object: 'server',
      attributes: serverAttributes(c.server, c.user),
      meta: { is_server_owner: c.server.owners.has(c.user.id), user_permissions: c.permissions },
    };
    sendJson(res, 200, body);
  }

  private websocket(c: RequestContext, res: ServerResponse): void {
    const verdict = this.wsLimiter.hit(c.server.uuid);
    if (!verdict.allowed) throw tooMany(verdict.limit, verdict.retryAfterSec, verdict.resetAtSec);
    const canConnect = c.user.admin || c.server.owners.has(c.user.id) || c.permissions.includes('websocket.connect');
    if (!canConnect) throw new PanelHttpError(403, 'HttpForbiddenException', TEXT.wsForbidden);
    const nodeUrl = this.o.panelUrl();
    const token = mintWebsocketToken({
      flavour: this.o.flavour,
      key: this.o.daemonToken,
      panelUrl: this.o.panelUrl(),
      nodeUrl,
      userId: c.user.id,
      userUuid: c.user.uuid,
      serverUuid: c.server.uuid,
      permissions: c.permissions,
      nowSec: this.o.clock.nowSec(),
      lifetimeSec: this.o.tokenLifetimeSec(),
    });
    const socket = `${nodeUrl.replace(/^http/, 'ws')}/api/servers/${c.server.uuid}/ws`;
    sendJson(res, 200, { data: { token, socket } });
  }

  /** The panel caches Wings' answer for resourcesCacheMs per server. */
  private resources(c: RequestContext, res: ServerResponse): void {
    if (this.o.wings.nodeDown) throw new PanelHttpError(504, 'DaemonConnectionException', TEXT.daemonDown);
    const now = this.o.clock.now();
    const cached = this.resourcesCache.get(c.server.uuid);
    if (cached && now - cached.at < this.o.resourcesCacheMs) {
      sendJson(res, 200, cached.body);
      return;
    }
    const body = resourcesBody(c.server);
    this.resourcesCache.set(c.server.uuid, { at: now, body });
    sendJson(res, 200, body);
  }
}

export function tooMany(limit: number, retryAfterSec: number, resetAtSec: number): PanelHttpError {
  return new PanelHttpError(429, 'ThrottleRequestsException', TEXT.tooMany, {
    'Retry-After': String(retryAfterSec),
    'X-RateLimit-Reset': String(resetAtSec),
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': '0',
  });
}
