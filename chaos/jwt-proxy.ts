/**
 * A recording reverse proxy in front of the panel double, for a bot running in another process: it forwards every panel
 * request unchanged and keeps the websocket tokens (JWTs) the panel mints, so the secret search knows every JWT the bot
 * was ever given. The panel's answer names the Wings socket directly, so only REST goes through here (the double must
 * accept the proxy's Origin: start it with allowedOrigins ['*'] or the proxy's URL).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JwtProxy {
  url: string;
  readonly tokens: string[];
  close(): Promise<void>;
}

export async function startJwtProxy(target: string): Promise<JwtProxy> {
  const upstream = new URL(target);
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!/\/websocket(\?|$)/.test(req.url ?? '')) {
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => {
          chunks.push(c);
          res.write(c);
        });
        answer.on('end', () => {
          res.end();
          try {
            const token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { token?: unknown } }).data
              ?.token;
            if (typeof token === 'string') tokens.push(token);
          } catch {
            // not a token answer (an injected failure): nothing to keep
          }
        });
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
