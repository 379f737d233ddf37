/**
 * The overflow path: the oldest part of a backlog that cannot go inline in time becomes a plain-text `.log` attachment
 * (ANSI and control characters removed) with a one-line summary as the message content.
 */
import { formatCount, formatSize, type PlainTextStripper } from './escape.ts';
import type { Flight, QueueItem } from './types.ts';

export interface AttachmentInput {
  items: readonly QueueItem[];
  head: number;
  headOffset: number;
  /** Console colour state at items[head][headOffset]; followed through the attached lines. */
  logical: number;
  stripper: PlainTextStripper;
  /** Take console lines from the head until this many raw characters (newlines included) are covered. */
  excessChars: number;
  maxBytes: number;
  now: number;
  seq: number;
}

/** Builds the attach request for the oldest console lines (it stops before a status or drop notice). */
export function buildAttachment(input: AttachmentInput): Flight {
  const { items, stripper, maxBytes } = input;
  stripper.state = input.logical;
  const parts: string[] = [];
  let bytes = 0;
  let chars = 0;
  let index = input.head;
  let offset = input.headOffset;
  while (index < items.length && chars < input.excessChars) {
    const item = items[index]!;
    if (typeof item !== 'string') break;
    const before = stripper.state;
    const plain = stripper.strip(item, offset);
    const size = Buffer.byteLength(plain, 'utf8') + 1;
    if (bytes + size > maxBytes && parts.length > 0) {
      stripper.state = before;
      break;
    }
    parts.push(plain);
    bytes += size;
    chars += item.length - offset + 1;
    index++;
    offset = 0;
  }
  const lines = parts.length;
  return {
    action: {
      kind: 'attach',
      summary: attachmentSummary(lines, bytes),
      filename: `console-${timestamp(input.now)}-${input.seq}.log`,
      body: `${parts.join('\n')}\n`,
      bytes,
      lines,
    },
    endIndex: index,
    endOffset: 0,
    logical: stripper.state,
    consoleLines: lines,
  };
}

/** "… 4,812 lines, 312 KB attached" */
export function attachmentSummary(lines: number, bytes: number): string {
  return `… ${formatCount(lines)} line${lines === 1 ? '' : 's'}, ${formatSize(bytes)} attached`;
}

/** 2026-08-06T12:34:56.789Z → "20260806-123456" (UTC). */
function timestamp(now: number): string {
  const iso = new Date(now).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}
