/**
 * ConsoleFeed around reconnects and crashes, on vitest's fake clock with a fake connection and channel: the `send logs`
 * replay ends even when live output never pauses; the first state after a reconnect is a re-sync, never a crash; and a
 * crash alert (with its role ping) needs Wings' own crash lines.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveBinding } from '../src/bridge/bridge.ts';
import { ConsoleFeed } from '../src/bridge/console-feed.ts';
import type { SendOutcome } from '../src/discord/channel-sender.ts';
import { createLogger } from '../src/log.ts';

const DAEMON = (text: string) => `\u001b[33m\u001b[1m[Pterodactyl Daemon]:\u001b[39m ${text}\u001b[0m`;

class FakeConnection extends EventEmitter {
  serverState: string | undefined = 'running';
  connectionState = { kind: 'ready' as const, since: 0 };
  logRequests = 0;
  onLogs: () => void = () => undefined;
  async requestLogs(): Promise<void> {
    this.logRequests++;
    setTimeout(() => this.onLogs(), 5);
  }
  async requestStats(): Promise<void> {}
}

function world() {
  const posts: Array<{ content: string; pingRoles?: string[] }> = [];
  let seq = 0;
  const sender = {
    channelId: '100',
    create: async (content: string, options: { pingRoles?: string[] } = {}): Promise<SendOutcome> => {
      posts.push({ content, ...(options.pingRoles ? { pingRoles: options.pingRoles } : {}) });
      return { ok: true, messageId: String(++seq), createdAt: Date.now() };
    },
    edit: async (messageId: string, content: string): Promise<SendOutcome> => {
      posts.push({ content });
      return { ok: true, messageId, createdAt: Date.now() };
    },
  };
  const connection = new FakeConnection();
  const live = {
    binding: { id: 'b1', name: 'Survival', consoleChannelId: '100', alertRoleId: '999' },
    connection,
  } as unknown as LiveBinding;
  const feed = new ConsoleFeed({
    live,
    sender,
    budgets: { waitMs: () => 0 },
    ansi: false,
    logger: createLogger({ level: 'silent' }),
    now: () => Date.now(),
  });
  const text = () => posts.map((p) => p.content).join('\n');
  return { feed, connection, posts, text };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the replay after a reconnect', () => {
  it('ends on a server whose output never pauses, and live lines keep flowing after it', async () => {
    const { feed, connection, text } = world();
    connection.onLogs = () => {
      for (let i = 0; i < 150; i++) connection.emit('console', `old ${i}`);
    };
    // A line every 100 ms, forever: never the 300 ms of quiet the replay waits for.
    let n = 0;
    const live = setInterval(() => connection.emit('console', `live ${n++}`), 100);
    connection.emit('ready'); // reconnect (the feed was built on a ready connection)
    let resolved = false;
    void feed.captureReplay().then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    clearInterval(live);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(resolved).toBe(true);
    expect(connection.logRequests).toBe(1);
    expect(text()).toContain('old 149');
    expect(text()).toContain(`live ${n - 1}`);
    feed.close();
  });
});

describe('state after a reconnect', () => {
  it('reports where the server is now, without a crash verdict or a ping', async () => {
    const { feed, connection, posts, text } = world();
    connection.emit('status', 'starting');
    connection.emit('status', 'running');
    connection.emit('ready'); // the socket dropped and came back; meanwhile the server was stopped from the panel
    connection.emit('status', 'offline');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(text()).toContain('Survival is offline (changed while the bot was reconnecting)');
    expect(text()).not.toContain('crashed');
    expect(posts.filter((p) => p.pingRoles?.length)).toEqual([]);
    feed.close();
  });
});

describe('crash alerts', () => {
  it("ping the alert role once Wings' crash lines confirm the crash", async () => {
    const { feed, connection, posts, text } = world();
    connection.emit('status', 'running');
    connection.emit('status', 'offline');
    connection.emit('console', DAEMON('---------- Detected server process in a crashed state! ----------'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(text()).toContain('✖ Survival crashed: it went running → offline without being stopped');
    expect(posts.filter((p) => p.pingRoles?.length).map((p) => p.pingRoles)).toEqual([['999']]);
    feed.close();
  });

  it('also when the crash line comes first', async () => {
    const { feed, connection, posts } = world();
    connection.emit('status', 'running');
    connection.emit('console', DAEMON('Aborting automatic restart, crash detection is disabled for this instance.'));
    connection.emit('status', 'offline');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(posts.filter((p) => p.pingRoles?.length)).toHaveLength(1);
    feed.close();
  });

  it('do not fire when a stopping event was lost and Wings reports no crash', async () => {
    const { feed, connection, posts, text } = world();
    connection.emit('status', 'running');
    connection.emit('status', 'offline'); // `stopping` dropped under load (wings.md §8.3)
    await vi.advanceTimersByTimeAsync(10_000);
    expect(text()).toContain('Survival is offline (stopped without a stop request; Wings reported no crash)');
    expect(text()).not.toContain('crashed');
    expect(posts.filter((p) => p.pingRoles?.length)).toEqual([]);
    feed.close();
  });
});

describe('a reconnect while a replay is collecting', () => {
  it('asks Wings for the log once more after it', async () => {
    const { feed, connection } = world();
    connection.onLogs = () => undefined; // the answer to the first request is lost with the old socket
    connection.emit('ready'); // reconnect 1
    await vi.advanceTimersByTimeAsync(100);
    connection.emit('ready'); // reconnect 2 while the first replay still waits for lines
    await vi.advanceTimersByTimeAsync(10_000);
    expect(connection.logRequests).toBe(2);
    feed.close();
  });
});
