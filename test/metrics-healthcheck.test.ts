/** The container HEALTHCHECK script against a small /healthz: exit 0 on 200, 1 on 503, no port, or nobody listening. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../src/metrics/healthcheck.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function runCheck(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('healthcheck script', () => {
  let server: Server;
  let status = 200;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? status : 404, { 'content-type': 'application/json' });
      res.end(status === 200 ? '{"status":"ok"}\n' : '{"status":"unavailable","reasons":["gateway: not ready"]}\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('exits 0 when /healthz is 200 (a wildcard METRICS_HOST is probed on loopback)', async () => {
    status = 200;
    expect((await runCheck({ METRICS_PORT: String(port), METRICS_HOST: '0.0.0.0' })).code).toBe(0);
  });
  it('exits 1 with the reason when /healthz is 503', async () => {
    status = 503;
    const result = await runCheck({ METRICS_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('gateway: not ready');
  });
  it('exits 1 without METRICS_PORT', async () => {
    const result = await runCheck({});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('METRICS_PORT is not set');
  });
  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const unused = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await runCheck({ METRICS_PORT: String(unused) })).code).toBe(1);
  });
});
