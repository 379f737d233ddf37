/**
 * The operations endpoint: GET /metrics (Prometheus text) and GET /healthz (200 {"status":"ok"} or 503 with the
 * reasons as JSON). Binds to METRICS_HOST (default 127.0.0.1: exposing it is the operator's choice).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { HealthReport } from './health.ts';

export interface MetricsSource {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): Promise<HealthReport>;
}

export interface MetricsServer {
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  host: string;
  port: number;
  source: MetricsSource;
  logger: Logger;
}): Promise<MetricsServer> {
  const { source, logger } = options;
  const server = createServer((req, res) => {
    void route(req, res, source).catch((err: unknown) => {
      logger.error({ err, path: req.url }, 'metrics endpoint failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // A scraper keeps connections alive; do not let them hold a shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'metrics server error'));
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ host: options.host, port }, 'metrics and health endpoint listening');
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, source: MetricsSource): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    const { contentType, body } = await source.metrics();
    send(res, 200, contentType, body);
  } else if (path === '/healthz') {
    const report = await source.health();
    const body = report.ok ? { status: 'ok' } : { status: 'unavailable', reasons: report.reasons ?? [] };
    send(res, report.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
  } else {
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
