/**
 * The text of a console line as a reader sees it, with a map back into the raw line. Redaction matches on this text, so
 * an address coloured digit by digit ("1ESC[31m9ESC[0m2.168…"), or split by zero-width characters, is still found; the
 * replacement is then made in the raw line, keeping the escape codes of the hidden part so the colours after it stay
 * right.
 *
 * Removed: escape sequences (CSI, OSC, …), C0/C1 controls except tab, DEL, zero-width and text-direction characters,
 * soft hyphens. Folded (same length): fullwidth ASCII ("１９２" → "192").
 */
import { escapeEnd } from '../feed/ansi.ts';

export interface VisibleText {
  text: string;
  /** map[i] is the index in the raw line of text[i]; undefined when every index is the same (nothing was removed). */
  map: Int32Array | undefined;
}

function isRemoved(c: number): boolean {
  return (
    (c < 0x20 && c !== 0x09) ||
    (c >= 0x7f && c <= 0x9f) ||
    c === 0xad ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2064) ||
    c === 0xfeff
  );
}

function needsWork(c: number): boolean {
  return isRemoved(c) || (c >= 0xff01 && c <= 0xff5e);
}

export function visibleText(line: string): VisibleText {
  const n = line.length;
  let first = 0;
  while (first < n && !needsWork(line.charCodeAt(first))) first++;
  if (first === n) return { text: line, map: undefined };

  let text = line.slice(0, first);
  let map: Int32Array | undefined;
  let removedAny = false;
  const mapTo = (rawIndex: number) => {
    if (map) map[text.length] = rawIndex;
  };
  let i = first;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x1b || c === 0x9b || isRemoved(c)) {
      if (!removedAny) {
        removedAny = true;
        map = new Int32Array(n);
        for (let k = 0; k < text.length; k++) map[k] = k;
      }
      i = c === 0x1b || c === 0x9b ? Math.max(escapeEnd(line, i), i + 1) : i + 1;
      continue;
    }
    mapTo(i);
    text += c >= 0xff01 && c <= 0xff5e ? String.fromCharCode(c - 0xfee0) : line[i];
    i++;
  }
  return { text, map: map ? map.subarray(0, text.length) : undefined };
}

/** Hidden spans of the visible text, sorted and not overlapping, each with what it is replaced by. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

/** Sorts and merges overlapping or touching spans (the earlier span's label wins). */
export function mergeSpans(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else out.push({ ...span });
  }
  return out;
}

/** Replaces the spans (visible-text coordinates) in the raw line, keeping escape sequences found inside them. */
export function replaceSpans(line: string, visible: VisibleText, spans: readonly Span[]): string {
  if (spans.length === 0) return line;
  const map = visible.map;
  if (!map) {
    let out = '';
    let pos = 0;
    for (const s of spans) {
      out += line.slice(pos, s.start) + s.label;
      pos = s.end;
    }
    return out + line.slice(pos);
  }
  let out = '';
  let pos = 0;
  for (const s of spans) {
    const rawStart = map[s.start] as number;
    const rawEnd = (map[s.end - 1] as number) + 1;
    out += line.slice(pos, rawStart) + s.label + escapesIn(line, rawStart, rawEnd);
    pos = rawEnd;
  }
  return out + line.slice(pos);
}

/** The escape sequences inside raw[start, end), so colour changes under a hidden span still take effect. */
function escapesIn(line: string, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === 0x1b || c === 0x9b) {
      const e = Math.max(escapeEnd(line, i), i + 1);
      out += line.slice(i, e);
      i = e;
    } else i++;
  }
  return out;
}
