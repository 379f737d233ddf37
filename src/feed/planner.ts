/**
 * FeedPlanner: the decision core of one console feed (one binding → one channel). Pure state; time and the channel's
 * rate budget come in as arguments, requests go out as actions the sender performs and acknowledges.
 * See index.ts for the protocol between planner and sender.
 */
import { buildAttachment } from './attach.ts';
import { formatCount, isThrottleNotice, PlainTextStripper } from './escape.ts';
import { fillMessage } from './inline.ts';
import type {
  AckResult,
  ChannelRate,
  EditAction,
  FeedAction,
  FeedCounters,
  FeedOptions,
  Flight,
  NextInput,
  Notice,
  QueueItem,
  SendAction,
} from './types.ts';
import { BlockWriter, MESSAGE_LIMIT, type WriterSnapshot } from './writer.ts';

// Other modules import these from here; the definitions live in types.ts.
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

const LINE_OVERHEAD = 32;
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
    this.perMessage = this.writer.bodyLimit;
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
    if (!result.ok && result.reason !== 'rejected') {
      if (result.reason === 'unknown_message') this.current = undefined;
      else this.stats.failedRequests++;
      return;
    }
    for (let i = this.head; i < f.endIndex; i++) this.release(this.items[i]!);
    this.head = f.endIndex;
    this.headOffset = f.endOffset;
    this.logical = f.logical;
    if (!result.ok) {
      // The same content would be refused again: let it go, counted and said, so one line cannot stall the feed.
      this.stats.dropped += f.consoleLines;
      this.stats.failedRequests++;
      this.current = undefined;
      const n = f.consoleLines;
      this.pushStatus(
        `⚠ ${formatCount(n)} console line${n === 1 ? '' : 's'} withheld: Discord refused them (${result.detail})`,
      );
      return;
    }
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
      const filled = fillMessage(w, this.items, this.head, 0, false);
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
    const filled = fillMessage(w, this.items, this.head, this.headOffset, true);
    if (filled.endIndex === this.head && filled.endOffset === this.headOffset) {
      throw new Error(`messageLimit ${this.o.messageLimit} leaves no room for a line`);
    }
    const action: SendAction = { kind: 'send', content: w.content(), lines: filled.consoleLines };
    return { ...filled, action, message: w.snapshot() };
  }
}
