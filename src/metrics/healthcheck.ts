/**
 * Container HEALTHCHECK: exits 0 when GET /healthz on METRICS_PORT answers 200, else 1. Standalone (reads only
 * METRICS_PORT and METRICS_HOST) so it runs without the bot's other settings; a wildcard listen address is probed on
 * loopback.
 */
const port = process.env.METRICS_PORT?.trim();
const configured = process.env.METRICS_HOST?.trim() || '127.0.0.1';
const host = ['0.0.0.0', '::', '[::]'].includes(configured) ? '127.0.0.1' : configured;

if (!port) {
  process.stderr.write('healthcheck: METRICS_PORT is not set, so there is no /healthz to ask\n');
  process.exit(1);
}
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  const body = await response.text();
  if (response.status !== 200) process.stderr.write(`healthcheck: ${response.status} ${body}`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stderr.write(`healthcheck: ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
