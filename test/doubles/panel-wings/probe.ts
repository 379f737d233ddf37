// Raw websocket client and waiting helpers for tests that drive the double directly (no bot code involved).
import WebSocket from 'ws';

export interface Frame {
  event: string;
  args?: string[];
}

/** Polls `predicate` until it returns truthy; never a fixed sleep. */
export async function waitFor<T>(
  predicate: () => T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export class WsProbe {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => undefined);
  }

  /** Opens a socket; resolves once open (rejects with the HTTP status on an upgrade refusal). */
  static open(url: string, origin?: string): Promise<WsProbe> {
    const ws = new WebSocket(url, origin === undefined ? {} : { headers: { Origin: origin } });
    const probe = new WsProbe(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(probe));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
        );
      });
      ws.once('error', reject);
    });
  }

  send(event: string, args?: string[]): void {
    this.ws.send(JSON.stringify(args === undefined ? { event } : { event, args }));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Next frame (after the previous `next`) matching the filter; consumes frames up to it. */
  async next(filter: string | ((f: Frame) => boolean) = () => true, timeoutMs = 5000): Promise<Frame> {
    const match = typeof filter === 'string' ? (f: Frame) => f.event === filter : filter;
    return waitFor(
      () => {
        while (this.cursor < this.frames.length) {
          const f = this.frames[this.cursor++];
          if (f && match(f)) return f;
        }
        return undefined;
      },
      timeoutMs,
      typeof filter === 'string' ? `frame "${filter}"` : 'frame',
    );
  }

  /** Frames received after the cursor, without consuming them. */
  pending(): Frame[] {
    return this.frames.slice(this.cursor);
  }

  skipAll(): void {
    this.cursor = this.frames.length;
  }

  async closed(timeoutMs = 5000): Promise<number> {
    return waitFor(() => this.closeCode, timeoutMs, 'socket close');
  }

  close(): void {
    this.ws.terminate();
  }
}
