/**
 * Text clean-up outside the Discord renderer: plain text for attachments, recognising Wings' own lines, and the
 * stand-alone escaping helpers (the renderer in writer.ts does the same escaping inline while it builds a message).
 */
import { applySgr, escapeEnd, sgrParamStart, stripAnsi } from './ansi.ts';

export const ZWSP = '\u200b';

/**
 * Console text without escapes and control characters, for a `.log` attachment: "\r\n" and lone "\r" inside a line are
 * handled like Wings' rewrite (CR LF → LF, other CR removed), tabs and newlines kept, other C0/C1 controls and DEL
 * removed. `state` follows the SGR codes it passes so inline rendering can continue with the right colour afterwards.
 */
export class PlainTextStripper {
  state = 0;

  strip(s: string, from = 0): string {
    const n = s.length;
    let i = from;
    let out = '';
    while (i < n) {
      let j = i;
      while (j < n) {
        const c = s.charCodeAt(j);
        if ((c >= 0x20 && c < 0x7f) || c >= 0xa0 || c === 0x09 || c === 0x0a) j++;
        else break;
      }
      if (j > i) {
        if (i === 0 && j === n) return s;
        out += s.slice(i, j);
      }
      if (j >= n) break;
      const c = s.charCodeAt(j);
      if (c === 0x1b || c === 0x9b) {
        const end = escapeEnd(s, j);
        const p = sgrParamStart(s, j, end);
        if (p >= 0) this.state = applySgr(this.state, s, p, end - 1);
        i = end;
      } else {
        i = j + 1;
      }
    }
    return out;
  }
}

/** Plain text of one console line (see PlainTextStripper). */
export function toPlainText(s: string): string {
  return new PlainTextStripper().strip(s);
}

/**
 * Breaks every run of backticks with zero-width spaces ("```" → "`\u200b`\u200b`"), so console text can never open or
 * close a code block, and defuses mention syntax ("@everyone", "@here", "<@…>") the same way.
 */
export function neutraliseFences(s: string): string {
  if (s.indexOf('`') < 0 && s.indexOf('@') < 0) return s;
  let out = '';
  let last = 0;
  let previous = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x60 && previous === 0x60) {
      out += `${s.slice(last, i)}${ZWSP}`;
      last = i;
    } else if (c === 0x40 && (previous === 0x3c || isMentionWord(s, i + 1))) {
      out += `${s.slice(last, i + 1)}${ZWSP}`;
      last = i + 1;
    }
    previous = c;
  }
  return out + s.slice(last);
}

/** True when s continues at `at` with a word Discord turns into a mass mention after "@". */
export function isMentionWord(s: string, at: number): boolean {
  return s.startsWith('everyone', at) || s.startsWith('here', at);
}

const DAEMON_MARK = ' Daemon]:';

/**
 * Wings' own console lines look like "ESC[33mESC[1m[Pterodactyl Daemon]:ESC[39m text ESC[0m" (app name configurable,
 * "pelican" on Pelican). Recognised by the bracketed "<name> Daemon]:" prefix after any leading escapes.
 */
export function isDaemonLine(s: string): boolean {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 0x1b || s.charCodeAt(i) === 0x9b)) i = escapeEnd(s, i);
  if (s.charCodeAt(i) !== 0x5b) return false;
  const mark = s.indexOf(DAEMON_MARK, i + 1);
  return mark > i && mark - i <= 64;
}

/** The text of a daemon line without its prefix and colours, or undefined when s is not a daemon line. */
export function daemonText(s: string): string | undefined {
  if (!isDaemonLine(s)) return undefined;
  const plain = stripAnsi(s);
  return plain.slice(plain.indexOf(DAEMON_MARK) + DAEMON_MARK.length).trim();
}

const THROTTLE_TEXT = 'Server is outputting console data too quickly -- throttling...';

/** Wings' throttle notice (a daemon line). Cheap enough for every pushed line: it only looks at lines starting with ESC or '['. */
export function isThrottleNotice(s: string): boolean {
  const c = s.charCodeAt(0);
  if (c !== 0x1b && c !== 0x5b) return false;
  return s.includes(THROTTLE_TEXT) && isDaemonLine(s);
}

/** 4812 → "4,812" (fixed en-US grouping, independent of the host's locale data). */
export function formatCount(n: number): string {
  const digits = String(Math.trunc(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}

/** Sizes as people read them: "950 B", "312 KB", "4.2 MB" (1 KB = 1,024 bytes). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${formatCount(Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
