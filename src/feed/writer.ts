/**
 * BlockWriter renders console lines into the body of one Discord code block, within a character budget, in one pass
 * per line: ANSI mapped to Discord's subset (emitted lazily, only when visible text needs it), other escapes and
 * control characters dropped, backtick runs and mentions defused. When the budget runs out mid-line it reports where
 * it stopped so the caller can end the message with "↩" and resume the rest in the next one with "↪".
 */
import { applySgr, escapeEnd, sgrParamStart, transition } from './ansi.ts';
import { isMentionWord, ZWSP } from './escape.ts';

/** Discord's content limit, fences included. */
export const MESSAGE_LIMIT = 2000;
export const CLOSE_FENCE = '\n```';
export const RESET = '\x1b[0m';
export const CONTINUED_MARK = '↩';
export const CONTINUATION_MARK = '↪';

export interface WriterSnapshot {
  body: string;
  len: number;
  rendered: number;
  logical: number;
  lines: number;
  lastChar: number;
  visible: boolean;
}

export class BlockWriter {
  /** Rendered text so far (without fences). */
  body = '';
  len = 0;
  /** State the rendered text is in at its end (what Discord shows next). */
  rendered = 0;
  /** State the console asked for (after mapping); becomes `rendered` lazily, before the next visible text. */
  logical = 0;
  /** Lines started in this body (the next one is preceded by "\n"). */
  lines = 0;
  private lastChar = 0x0a;
  private visible = false;
  readonly openFence: string;
  /** Body characters available in an empty message (limit minus fences). */
  readonly bodyLimit: number;

  constructor(
    readonly colour: boolean,
    limit: number = MESSAGE_LIMIT,
  ) {
    this.openFence = colour ? '```ansi\n' : '```\n';
    this.bodyLimit = limit - this.openFence.length - CLOSE_FENCE.length;
  }

  /** Starts an empty body; the console's logical state carries over, Discord's rendered state starts fresh. */
  begin(logical: number): void {
    this.restore({ body: '', len: 0, rendered: 0, logical, lines: 0, lastChar: 0x0a, visible: false });
  }

  snapshot(): WriterSnapshot {
    return this.snapshotInto({ body: '', len: 0, rendered: 0, logical: 0, lines: 0, lastChar: 0, visible: false });
  }

  /** Copies the state into `target` (lets a hot loop reuse one object). */
  snapshotInto(target: WriterSnapshot): WriterSnapshot {
    target.body = this.body;
    target.len = this.len;
    target.rendered = this.rendered;
    target.logical = this.logical;
    target.lines = this.lines;
    target.lastChar = this.lastChar;
    target.visible = this.visible;
    return target;
  }

  restore(s: WriterSnapshot): void {
    this.body = s.body;
    this.len = s.len;
    this.rendered = s.rendered;
    this.logical = s.logical;
    this.lines = s.lines;
    this.lastChar = s.lastChar;
    this.visible = s.visible;
  }

  /** The whole message: fences, body, and a reset when anything is still active. */
  content(): string {
    const tail = this.colour && this.rendered !== 0 ? RESET + CLOSE_FENCE : CLOSE_FENCE;
    // A block whose body is only newlines would not parse as a code block; one space keeps it a block.
    return this.openFence + (this.visible ? this.body : `${this.body} `) + tail;
  }

  /** Room left for plain text if the rendered state stays as it is (for callers' heuristics). */
  room(): number {
    return this.bodyLimit - this.len - (this.colour && this.rendered !== 0 ? RESET.length : 0);
  }

  /**
   * Writes s[from…] as a new line (a continuation when `continued`). Returns the index where writing stopped: s.length
   * when the line is complete, otherwise the caller either rolls back to a snapshot or calls endContinued().
   * `sgr` false ignores the line's own colour codes (status lines bring their own style).
   */
  writeLine(s: string, from: number, continued: boolean, sgr = true): number {
    if (this.lines > 0 && !this.put('\n', s, from, false)) return from;
    this.lines++;
    if (continued && !this.put(CONTINUATION_MARK, s, from, false)) return from;
    const n = s.length;
    const colour = this.colour && sgr;
    let i = from;
    while (i < n) {
      let j = i;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c >= 0x20 && c < 0x7f) {
          if (c === 0x60 || c === 0x40) break;
          j++;
        } else if (c === 0x09 || c >= 0xa0) j++;
        else break;
      }
      if (j > i) {
        const written = this.putSlice(s, i, j);
        if (written < j - i) return i + written;
        i = j;
        if (i >= n) break;
      }
      const c = s.charCodeAt(i);
      if (c === 0x1b || c === 0x9b) {
        const end = escapeEnd(s, i);
        if (colour) {
          const p = sgrParamStart(s, i, end);
          if (p >= 0) this.logical = applySgr(this.logical, s, p, end - 1);
        }
        i = end;
      } else if (c === 0x60) {
        if (!this.put(this.lastChar === 0x60 ? `${ZWSP}\`` : '`', s, i + 1, true)) return i;
        this.lastChar = 0x60;
        i++;
      } else if (c === 0x40) {
        const defuse = this.lastChar === 0x3c || isMentionWord(s, i + 1);
        if (!this.put(defuse ? `@${ZWSP}` : '@', s, i + 1, true)) return i;
        this.lastChar = defuse ? 0x200b : 0x40;
        i++;
      } else if (c === 0x0a) {
        if (!this.put('\n', s, i + 1, false)) return i;
        i++;
      } else {
        // CR (Wings' "\r\n" becomes "\n" via the LF), other C0 controls, DEL and C1 controls are dropped.
        i++;
      }
    }
    return n;
  }

  /** Ends a line that continues in the next message. */
  endContinued(): void {
    this.body += CONTINUED_MARK;
    this.len += 1;
  }

  /** Appends s[i, j) (no specials inside), as much as fits; returns how many characters were written. */
  private putSlice(s: string, i: number, j: number): number {
    const t = this.colour && this.logical !== this.rendered ? transition(this.rendered, this.logical) : '';
    const after = t === '' ? this.rendered : this.logical;
    const avail = this.bodyLimit - this.len - t.length - (this.colour && after !== 0 ? RESET.length : 0);
    const want = j - i;
    // One character stays free for "↩" unless nothing visible can follow on this line.
    if (want < avail || (want === avail && restIsInvisible(s, j))) {
      this.body += t === '' ? s.slice(i, j) : t + s.slice(i, j);
      this.len += t.length + want;
      this.rendered = after;
      this.lastChar = s.charCodeAt(j - 1);
      this.visible = true;
      return want;
    }
    let k = avail - 1;
    if (k <= 0) return 0;
    const last = s.charCodeAt(i + k - 1);
    if (last >= 0xd800 && last <= 0xdbff) k--; // never split a surrogate pair
    if (k <= 0) return 0;
    this.body += t + s.slice(i, i + k);
    this.len += t.length + k;
    this.rendered = after;
    this.lastChar = s.charCodeAt(i + k - 1);
    this.visible = true;
    return k;
  }

  /** Appends a short literal as a unit (styled when `styled`); false when it does not fit. */
  private put(text: string, s: string, next: number, styled: boolean): boolean {
    const t = styled && this.colour && this.logical !== this.rendered ? transition(this.rendered, this.logical) : '';
    const after = t === '' ? this.rendered : this.logical;
    const avail = this.bodyLimit - this.len - t.length - (this.colour && after !== 0 ? RESET.length : 0);
    const newline = text === '\n';
    // Keep one character for "↩" while more of the line follows, or for the space an all-blank body needs (content()).
    const need = text.length + (restIsInvisible(s, next) && (this.visible || !newline) ? 0 : 1);
    if (need > avail) return false;
    this.body += t + text;
    this.len += t.length + text.length;
    this.rendered = after;
    this.lastChar = text.charCodeAt(text.length - 1);
    if (!newline) this.visible = true;
    return true;
  }
}

/** True when nothing from s[i…] would be rendered (only escapes and dropped controls remain). */
function restIsInvisible(s: string, i: number): boolean {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x1b || c === 0x9b) i = escapeEnd(s, i);
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c < 0xa0)) i++;
    else return false;
  }
  return true;
}

/**
 * Line-by-line ANSI mapping without a message budget: each call returns one line rendered for Discord, continuing the
 * colour state of the lines before it; end() returns the reset a message would close with.
 */
export class AnsiMapper {
  private readonly writer: BlockWriter;

  constructor(options: { ansi?: boolean } = {}) {
    this.writer = new BlockWriter(options.ansi ?? true, Number.POSITIVE_INFINITY);
  }

  line(s: string): string {
    const w = this.writer;
    w.restore({ ...w.snapshot(), body: '', len: 0, lines: 0 });
    w.writeLine(s, 0, false);
    return w.body;
  }

  end(): string {
    return this.writer.colour && this.writer.rendered !== 0 ? RESET : '';
  }

  /** Console (logical) state after the lines so far. */
  get state(): number {
    return this.writer.logical;
  }
}
