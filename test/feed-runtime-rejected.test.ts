/**
 * Content Discord refuses (AutoMod, the harmful-link filter, form validation) must not stall the feed: those lines are
 * withheld, counted as dropped and announced, and the lines after them go out.
 */
import { EventEmitter } from 'node:events';
import { DiscordAPIError } from 'discord.js';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { LiveBinding } from '../src/bridge/bridge.ts';
import { ConsoleFeed } from '../src/bridge/console-feed.ts';
import { classifySendError, type SendOutcome } from '../src/discord/channel-sender.ts';
import { createLogger } from '../src/log.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

it('classifies content refusals apart from channel refusals and transient failures', () => {
  const err = (status: number, code: number) =>
    new DiscordAPIError({ code, message: 'x' }, code, status, 'POST', '/channels/1/messages', { body: undefined });
  expect(classifySendError(err(400, 200000))).toEqual({ ok: false, kind: 'rejected', reason: 'blocked by AutoMod' });
  expect(classifySendError(err(400, 50035))).toEqual({ ok: false, kind: 'rejected', reason: 'invalid message' });
  expect(classifySendError(err(403, 50013)).ok === false && classifySendError(err(403, 50013))).toMatchObject({
    kind: 'channel_refused',
  });
  expect(classifySendError(err(500, 0))).toMatchObject({ kind: 'failed' });
});

it('withholds a refused message and carries on with the next lines', async () => {
  const posted: string[] = [];
  let seq = 0;
  const sender = {
    channelId: '1',
    create: async (content: string): Promise<SendOutcome> => {
      if (content.includes('scam-link')) return { ok: false, kind: 'rejected', reason: 'blocked by AutoMod' };
      posted.push(content);
      return { ok: true, messageId: String(++seq), createdAt: Date.now() };
    },
    edit: async (messageId: string, content: string): Promise<SendOutcome> => {
      if (content.includes('scam-link')) return { ok: false, kind: 'rejected', reason: 'blocked by AutoMod' };
      posted.push(content);
      return { ok: true, messageId, createdAt: Date.now() };
    },
  };
  const connection = Object.assign(new EventEmitter(), {
    serverState: 'running',
    connectionState: { kind: 'ready', since: 0 },
  });
  const live = { binding: { id: 'b', name: 'S', consoleChannelId: '1' }, connection } as unknown as LiveBinding;
  const feed = new ConsoleFeed({
    live,
    sender,
    budgets: { waitMs: () => 0 },
    ansi: false,
    logger: createLogger({ level: 'silent' }),
    now: () => Date.now(),
  });
  connection.emit('console', 'visit scam-link now');
  await vi.advanceTimersByTimeAsync(1_000);
  connection.emit('console', 'after the refusal');
  await vi.advanceTimersByTimeAsync(1_000);
  const text = posted.join('\n');
  expect(text).toContain('⚠ 1 console line withheld: Discord refused them (blocked by AutoMod)');
  expect(text).toContain('after the refusal');
  expect(text).not.toContain('scam-link');
  const c = feed.planner.counters;
  expect(c.dropped).toBe(1);
  expect(c.postedInline + c.postedAttached + c.dropped).toBe(c.received);
  expect(feed.planner.pendingLines).toBe(0);
  feed.close();
});
