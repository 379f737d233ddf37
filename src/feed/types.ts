/**
 * The planner's vocabulary: options, what the sender passes in, the actions it gets back and how it acknowledges them.
 */
import type { WriterSnapshot } from './writer.ts';

export interface FeedOptions {
  /** Render colours (```ansi); false → plain text in a plain ``` block. Default true. */
  ansi?: boolean;
  /** After a quiet spell, wait this long for the rest of a burst before sending. Default 15 ms. */
  lingerMs?: number;
  /** Append to the newest feed message by editing it. Default true. */
  edit?: boolean;
  /** Only messages younger than this are edited (Discord refuses edits to >1 h old messages). Default 10 min. */
  maxEditAgeMs?: number;
  /** Backlog that cannot go inline within this horizon at the channel's rate goes to an attachment. Default 5000. */
  inlineHorizonMs?: number;
  /** The channel's message rate; the sender may update it from headers via next(). Default 5 per 5000 ms. */
  rate?: ChannelRate;
  /**
   * Hard cap on queued console text, counted as UTF-16 code units + 32 per line (32 of it are kept for the drop
   * notice); newer lines past it are dropped. Status lines are not capped (the bridge emits few). Default 16 MiB.
   */
  maxPendingBytes?: number;
  /** Per attachment, UTF-8 bytes. Default 10 MiB (Discord's default upload limit). */
  maxAttachmentBytes?: number;
  /** Longer lines are cut at push (Wings itself cuts at 64 KiB). Default 1 MiB. */
  maxLineChars?: number;
  /** Message content limit, fences included. Default 2000. */
  messageLimit?: number;
}

export interface ChannelRate {
  limit: number;
  windowMs: number;
}

export interface NextInput {
  now: number;
  /** Milliseconds until the channel may send again; 0 or absent = budget now. */
  waitMs?: number;
  rate?: ChannelRate;
  /** False forbids edit-append for this decision (e.g. the sender knows other messages follow ours). */
  canEdit?: boolean;
}

export type SendAction = { kind: 'send'; content: string; lines: number };
export type EditAction = { kind: 'edit'; messageRef: string; content: string; lines: number };
export type AttachAction = {
  kind: 'attach';
  summary: string;
  filename: string;
  body: string;
  bytes: number;
  lines: number;
};
export type RequestAction = SendAction | EditAction | AttachAction;
export type FeedAction = RequestAction | { kind: 'wait'; untilMs: number } | { kind: 'idle' };

export type AckResult =
  | { ok: true; messageRef: string; createdAt: number }
  | { ok: false; reason: 'unknown_message' | 'failed' }
  /** Discord refused this content itself (AutoMod, harmful-link filter, validation): retrying cannot help. */
  | { ok: false; reason: 'rejected'; detail: string };

export interface FeedCounters {
  received: number;
  postedInline: number;
  postedAttached: number;
  dropped: number;
  throttleNotices: number;
  statusLines: number;
  failedRequests: number;
}

export type Notice = { kind: 'status'; text: string } | { kind: 'dropped'; count: number };
export type QueueItem = string | Notice;

/** Where a request leaves the queue once it has landed. */
export interface Flight {
  action: RequestAction;
  endIndex: number;
  endOffset: number;
  logical: number;
  consoleLines: number;
  message?: WriterSnapshot;
}
