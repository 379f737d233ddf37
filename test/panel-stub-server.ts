/**
 * A tiny scripted HTTP server for the panel client tests: 127.0.0.1, port 0, records every request (with the time it
 * arrived) and answers through a replaceable handler. Not a panel simulation — the panel+Wings double is that.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's headers arrived. */
  at: number;
  /** Date.now() when the request's headers arrived. */
  wallAt: number;
}

export type StubHandler = (req: StubRequest, res: ServerResponse, index: number) => void;

export interface Stub {
  url: string;
  port: number;
  requests: StubRequest[];
  handler: StubHandler;
  close(): Promise<void>;
}

export async function startStub(handler: StubHandler = (_req, res) => res.end()): Promise<Stub> {
  const requests: StubRequest[] = [];
  const stub = { handler } as Stub;
  const server = createServer((req, res) => {
    const at = performance.now();
    const wallAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: StubRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at,
        wallAt,
      };
      requests.push(entry);
      stub.handler(entry, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  stub.url = `http://127.0.0.1:${port}`;
  stub.port = port;
  stub.requests = requests;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** Answers with JSON (status, body) — the usual panel reply. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** The panel's error body: `{"errors":[{code,status,detail}]}`. */
export function panelError(status: number, code: string, detail: string) {
  return { errors: [{ code, status: String(status), detail }] };
}

/** A port that was just listening and is now closed, so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const stub = await startStub();
  const { port } = stub;
  await stub.close();
  return port;
}

/** A pino destination that keeps every line, so tests can search the log text. */
export function captureStream(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, text, lines };
}
