/**
 * src/feed — the pure core of the console feed (no I/O, no timers, no Discord calls; time comes in as arguments).
 *
 * ## Planner ↔ sender protocol
 * ```ts
 * const feed = new FeedPlanner({ ansi: true });        // FeedOptions: lingerMs 15, edit true, maxEditAgeMs 10 min,
 *                                                      // inlineHorizonMs 5000, rate 5/5000 ms, maxPendingBytes 16 MiB,
 *                                                      // maxAttachmentBytes 10 MiB, maxLineChars 1 MiB, messageLimit 2000
 * connection.on('console', (line) => { feed.push(line); drive(); });
 * feed.pushStatus('Server marked as running');         // rendered "» text" (bold cyan), in order with console lines
 *
 * function drive() {                                    // the sender: call on push, on ack, at a wait's deadline
 *   const action = feed.next({ now: clock(), waitMs: msUntilChannelBudget(), rate, canEdit }); // waitMs 0 = now
 *   switch (action.kind) {
 *     case 'send':   // POST content (allowed_mentions: { parse: [] }); then
 *                    feed.ack(action, { ok: true, messageRef: id, createdAt: clock() }); break;
 *     case 'edit':   // PATCH action.messageRef with content; 404 Unknown Message → ack {ok:false, reason:'unknown_message'}
 *     case 'attach': // POST content = action.summary, files[0] = action.body (plain UTF-8, action.bytes ≤ 10 MiB)
 *                    // named action.filename; ack like send
 *     case 'wait':   // set one timer for action.untilMs, then drive()
 *     case 'idle':   // nothing to do until the next push / ack
 *   }
 * }
 * ```
 * * One request at a time: while one is out next() answers idle; ack(action, result) with the same action object.
 *   `{ ok: false, reason: 'failed' }` leaves everything queued (nothing lost); the sender decides about backing off.
 * * Latency: after a quiet spell the first next() lingers `lingerMs` to catch the burst (skipped once a message's worth
 *   is queued); with budget the pending lines go at once. Without budget they coalesce, so each request carries as
 *   much as fits (2,000 chars, fences included). Appends by editing the newest feed message while it is younger than
 *   maxEditAgeMs and everything pending fits in it; otherwise a new message.
 * * Overflow: when the raw backlog exceeds what `inlineHorizonMs` of the channel rate can carry inline, the oldest part
 *   becomes an attachment ("… 4,812 lines, 312 KB attached"), the newest (slots − 1) messages' worth stays inline.
 *   Status/drop notices are never put into attachments; an attachment stops before one. Past maxPendingBytes newer
 *   lines are dropped and a "⚠ N console lines dropped: feed memory limit reached" line takes their place (consecutive
 *   drops share one notice; a notice already in a request in flight is never changed). Lines over maxLineChars are
 *   cut at push with " … [N more characters cut]" (Wings never sends more than 64 KiB).
 * * counters: received, postedInline, postedAttached, dropped, throttleNotices, statusLines, failedRequests;
 *   received = postedInline + postedAttached + dropped + pendingLines at all times.
 *
 * ## Rendering (writer.ts, ansi.ts, escape.ts)
 * ANSI folded to Discord's SGR subset (0, 1, 4, 30–37, 40–47): bright, 256-colour and truecolour to the nearest of the
 * eight (xterm-16 nearest, then bright→base), 39/49/22/24 as reset + re-apply, everything else stripped; codes are
 * emitted lazily before visible text, only as changes; a message ends with ESC[0m if anything is active and the next
 * message re-establishes the console's state. ansi: false → plain ``` block, all escapes stripped. Backtick runs get
 * zero-width spaces ("``" → "`\u200b`"), "@everyone"/"@here"/"<@" get one after the "@". CR dropped (CR LF → LF),
 * tabs kept, other controls dropped. Lines longer than a message are split with "↩" at the end and "↪" at the start
 * of the continuation. An all-blank body gets one space so it still parses as a code block.
 *
 * Files: planner.ts (FeedPlanner), types.ts (its vocabulary), inline.ts (message filling, notices), attach.ts
 * (attachments), render.ts (renderMessages: lines → message contents, no edits, unlimited budget).
 *
 * ## Reconnect (overlap.ts)
 * newLinesAfterReplay(tail, replay) / matchReplay(...) → the replayed lines after what was already seen; keep the
 * tail with RecentLines(200) fed with every received console line.
 */

export {
  applySgr,
  nearestBasicColour,
  stripAnsi,
  transition,
  XTERM256_TO_BASIC,
  xterm256Rgb,
} from './ansi.ts';
export { attachmentSummary } from './attach.ts';
export {
  daemonText,
  formatCount,
  formatSize,
  isDaemonLine,
  isThrottleNotice,
  neutraliseFences,
  PlainTextStripper,
  toPlainText,
} from './escape.ts';
export { matchReplay, newLinesAfterReplay, RecentLines, type ReplayMatch } from './overlap.ts';
export { FeedPlanner } from './planner.ts';
export { renderMessages } from './render.ts';
export type {
  AckResult,
  AttachAction,
  ChannelRate,
  EditAction,
  FeedAction,
  FeedCounters,
  FeedOptions,
  NextInput,
  RequestAction,
  SendAction,
} from './types.ts';
export {
  AnsiMapper,
  BlockWriter,
  CONTINUATION_MARK,
  CONTINUED_MARK,
  MESSAGE_LIMIT,
} from './writer.ts';
