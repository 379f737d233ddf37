/**
 * FeedPlanner: the decision core of one console feed (one binding → one channel). Pure state; time and the channel's
 * rate budget come in as arguments, requests go out as actions the sender performs and acknowledges.
 * See index.ts for the protocol between planner and sender.
 */
import { BOLD, withForeground } from './ansi.ts';
import { buildAttachment } from './attach.ts';
import { formatCount, isThrottleNotice, PlainTextStripper } from './escape.ts';
import { BlockWriter, CLOSE_FENCE, MESSAGE_LIMIT, type WriterSnapshot } from './writer.ts';

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
  | { ok: false; reason: 'unknown_message' | 'failed' };

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

const LINE_OVERHEAD = 32;
const STATUS_STYLE = withForeground(BOLD, 6);
const MAX_STATUS_CHARS = 500;
const IDLE: FeedAction = { kind: 'idle' };

export class FeedPlanner {
  private items: QueueItem[] = [];
  private head = 0;
  /** Offset into items[head] where the next message resumes (after a split). */
  private headOffset = 0;
  /** Console colour state after everything that has landed. */
  private logical = 0;
  private queuedChars = 0;
  private queuedBytes = 0;
  private queuedLines = 0;
  private flight: Flight | undefined;
  private current: { ref: string; createdAt: number; snapshot: WriterSnapshot } | undefined;
  private quiet = true;
  private lingerUntil = 0;
  private attachSeq = 0;
  private rate: ChannelRate;
  private readonly writer: BlockWriter;
  private readonly stripper = new PlainTextStripper();
  private readonly scratch: WriterSnapshot = {
    body: '',
    len: 0,
    rendered: 0,
    logical: 0,
    lines: 0,
    lastChar: 0,
    visible: false,
  };
  private readonly stats: FeedCounters = {
    received: 0,
    postedInline: 0,
    postedAttached: 0,
    dropped: 0,
    throttleNotices: 0,
    statusLines: 0,
    failedRequests: 0,
  };
  private readonly o: Required<Omit<FeedOptions, 'rate'>>;
  /** Body characters of one message: the unit of the inline capacity estimate. */
  readonly perMessage: number;

  constructor(options: FeedOptions = {}) {
    this.o = {
      ansi: options.ansi ?? true,
      lingerMs: options.lingerMs ?? 15,
      edit: options.edit ?? true,
      maxEditAgeMs: options.maxEditAgeMs ?? 10 * 60_000,
      inlineHorizonMs: options.inlineHorizonMs ?? 5000,
      maxPendingBytes: options.maxPendingBytes ?? 16 * 1024 * 1024,
      maxAttachmentBytes: options.maxAttachmentBytes ?? 10 * 1024 * 1024,
      maxLineChars: options.maxLineChars ?? 1024 * 1024,
      messageLimit: options.messageLimit ?? MESSAGE_LIMIT,
    };
    this.rate = options.rate ?? { limit: 5, windowMs: 5000 };
    this.writer = new BlockWriter(this.o.ansi, this.o.messageLimit);
    this.perMessage = this.o.messageLimit - this.writer.openFence.length - CLOSE_FENCE.length;
  }

  /** Queues one console line (one `console output` arg). False when the memory cap dropped it. */
  push(line: string): boolean {
    this.stats.received++;
    if (line.length > this.o.maxLineChars) {
      const cut = line.length - this.o.maxLineChars;
      line = `${line.slice(0, this.o.maxLineChars)} … [${formatCount(cut)} more characters cut]`;
    }
    if (isThrottleNotice(line)) this.stats.throttleNotices++;
    const cost = line.length + LINE_OVERHEAD;
    // LINE_OVERHEAD of the cap stays free for the drop notice, so lines and notices together never pass it.
    if (this.queuedBytes + cost > this.o.maxPendingBytes - LINE_OVERHEAD) {
      this.stats.dropped++;
      const last = this.items[this.items.length - 1];
      // A notice already rendered into the request in flight must not change under it.
      const lastInFlight = this.flight !== undefined && this.items.length <= this.flight.endIndex;
      if (last !== undefined && typeof last !== 'string' && last.kind === 'dropped' && !lastInFlight) last.count++;
      else this.enqueue({ kind: 'dropped', count: 1 }, LINE_OVERHEAD);
      return false;
    }
    this.items.push(line);
    this.queuedBytes += cost;
    this.queuedChars += line.length + 1;
    this.queuedLines++;
    return true;
  }

  /** Queues a line of the bridge's own (state changes, reconnects), shown distinctly and in order with the console. */
  pushStatus(text: string): void {
    this.stats.statusLines++;
    const clipped = text.length > MAX_STATUS_CHARS ? `${text.slice(0, MAX_STATUS_CHARS - 1)}…` : text;
    this.enqueue({ kind: 'status', text: clipped }, clipped.length + LINE_OVERHEAD);
  }

  /** Makes the next lines start a new message instead of being appended to the newest one. */
  breakMessage(): void {
    this.current = undefined;
  }

  /**
   * What the sender should do now. Only one request is out at a time: while one is, this returns idle, and ack() of that
   * request is the next change worth calling next() for (besides push and a wait's deadline).
   */
  next(input: NextInput): FeedAction {
    if (this.flight) return IDLE;
    if (this.head >= this.items.length) {
      this.quiet = true;
      return IDLE;
    }
    const now = input.now;
    if (this.quiet) {
      this.quiet = false;
      this.lingerUntil = now + this.o.lingerMs;
    }
    if (input.rate && input.rate.limit > 0 && input.rate.windowMs > 0) this.rate = input.rate;
    const waitMs = input.waitMs ?? 0;
    if (waitMs > 0) return { kind: 'wait', untilMs: now + waitMs };
    const pending = this.pendingChars;
    if (now < this.lingerUntil && pending < this.perMessage) return { kind: 'wait', untilMs: this.lingerUntil };
    const slots = Math.max(1, Math.floor((this.o.inlineHorizonMs * this.rate.limit) / this.rate.windowMs));
    if (typeof this.items[this.head] === 'string' && pending > slots * this.perMessage) {
      this.flight = buildAttachment({
        items: this.items,
        head: this.head,
        headOffset: this.headOffset,
        logical: this.logical,
        stripper: this.stripper,
        excessChars: pending - (slots - 1) * this.perMessage,
        maxBytes: this.o.maxAttachmentBytes,
        now,
        seq: ++this.attachSeq,
      });
    } else {
      this.flight = this.buildInline(now, input.canEdit ?? true);
    }
    return this.flight.action;
  }

  /** The sender reports how the last request ended. */
  ack(action: FeedAction, result: AckResult): void {
    const f = this.flight;
    if (!f || f.action !== action) throw new Error('ack() does not match the request in flight');
    this.flight = undefined;
    if (!result.ok) {
      if (result.reason === 'unknown_message') this.current = undefined;
      else this.stats.failedRequests++;
      return;
    }
    for (let i = this.head; i < f.endIndex; i++) this.release(this.items[i]!);
    this.head = f.endIndex;
    this.headOffset = f.endOffset;
    this.logical = f.logical;
    if (action.kind === 'attach') {
      this.stats.postedAttached += f.consoleLines;
      this.current = undefined;
    } else {
      this.stats.postedInline += f.consoleLines;
      const createdAt = action.kind === 'edit' && this.current ? this.current.createdAt : result.createdAt;
      this.current = { ref: result.messageRef, createdAt, snapshot: f.message! };
    }
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.head >= this.items.length) this.quiet = true;
  }

  get counters(): FeedCounters {
    return { ...this.stats };
  }
  /** Queued bytes as counted against maxPendingBytes (includes a request in flight). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }
  /** Console lines not yet landed (a split line counts until its last part lands). */
  get pendingLines(): number {
    return this.queuedLines;
  }
  /** Raw characters not yet landed, newlines included. */
  get pendingChars(): number {
    return this.queuedChars - this.headOffset;
  }
  get inFlight(): boolean {
    return this.flight !== undefined;
  }

  private enqueue(notice: Notice, bytes: number): void {
    this.items.push(notice);
    this.queuedBytes += bytes;
  }

  private release(item: QueueItem): void {
    if (typeof item === 'string') {
      this.queuedBytes -= item.length + LINE_OVERHEAD;
      this.queuedChars -= item.length + 1;
      this.queuedLines--;
    } else {
      this.queuedBytes -= LINE_OVERHEAD + (item.kind === 'status' ? item.text.length : 0);
    }
  }

  private buildInline(now: number, canEdit: boolean): Flight {
    const w = this.writer;
    const cur = this.current;
    if (canEdit && this.o.edit && cur && this.headOffset === 0 && now - cur.createdAt < this.o.maxEditAgeMs) {
      w.restore(cur.snapshot);
      w.logical = this.logical;
      const filled = this.fill(false);
      if (filled.endIndex === this.items.length) {
        const action: EditAction = {
          kind: 'edit',
          messageRef: cur.ref,
          content: w.content(),
          lines: filled.consoleLines,
        };
        return { ...filled, action, message: w.snapshot() };
      }
    }
    w.begin(this.logical);
    const filled = this.fill(true);
    if (filled.endIndex === this.head && filled.endOffset === this.headOffset) {
      throw new Error(`messageLimit ${this.o.messageLimit} leaves no room for a line`);
    }
    const action: SendAction = { kind: 'send', content: w.content(), lines: filled.consoleLines };
    return { ...filled, action, message: w.snapshot() };
  }

  /** Renders queued items into the writer while they fit; over-long lines are split when `split`. */
  private fill(split: boolean): Omit<Flight, 'action'> {
    const w = this.writer;
    const n = this.items.length;
    let index = this.head;
    let offset = this.headOffset;
    let consoleLines = 0;
    const snap = this.scratch;
    while (index < n) {
      const item = this.items[index]!;
      const room = w.room();
      w.snapshotInto(snap);
      if (typeof item !== 'string') {
        if (!this.writeNotice(item)) {
          w.restore(snap);
          break;
        }
        index++;
        continue;
      }
      const stop = w.writeLine(item, offset, offset > 0);
      if (stop === item.length) {
        index++;
        offset = 0;
        consoleLines++;
        continue;
      }
      // Split only a line that cannot fit a message of its own, and only where it would start a message or fill a
      // good part of one; otherwise it starts the next message whole.
      const overLong = item.length - offset > this.perMessage && room >= this.perMessage / 4;
      if (split && stop > offset && (snap.lines === 0 || overLong)) {
        w.endContinued();
        offset = stop;
      } else {
        w.restore(snap);
      }
      break;
    }
    return { endIndex: index, endOffset: offset, logical: w.logical, consoleLines };
  }

  private writeNotice(item: Notice): boolean {
    const w = this.writer;
    const console = w.logical;
    w.logical = this.o.ansi ? STATUS_STYLE : 0;
    const text =
      item.kind === 'status'
        ? `» ${item.text}`
        : `⚠ ${formatCount(item.count)} console line${item.count === 1 ? '' : 's'} dropped: feed memory limit reached`;
    const complete = w.writeLine(text, 0, false, false) === text.length;
    w.logical = console;
    return complete;
  }
}
