/**
 * The inline path: queued console lines and notices rendered into one message body (a new one, or appended to the
 * newest message for an edit), splitting only lines too long for a message of their own.
 */
import { BOLD, withForeground } from './ansi.ts';
import { formatCount } from './escape.ts';
import type { Flight, Notice, QueueItem } from './types.ts';
import type { BlockWriter, WriterSnapshot } from './writer.ts';

const STATUS_STYLE = withForeground(BOLD, 6);
// One reusable snapshot: filling is synchronous and the hot loop takes one per line.
const scratch: WriterSnapshot = { body: '', len: 0, rendered: 0, logical: 0, lines: 0, lastChar: 0, visible: false };

/**
 * Renders items[head…] (from `offset` in the head line) into the writer while they fit. With `split`, a line that does
 * not fit is cut with "↩" when it starts the message or is longer than a whole message and a good part of this one
 * is still free; otherwise it is left whole for the next message.
 */
export function fillMessage(
  w: BlockWriter,
  items: readonly QueueItem[],
  head: number,
  offset: number,
  split: boolean,
): Omit<Flight, 'action'> {
  const n = items.length;
  const perMessage = w.bodyLimit;
  let index = head;
  let consoleLines = 0;
  while (index < n) {
    const item = items[index]!;
    const room = w.room();
    w.snapshotInto(scratch);
    if (typeof item !== 'string') {
      if (!writeNotice(w, item)) {
        w.restore(scratch);
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
    const overLong = item.length - offset > perMessage && room >= perMessage / 4;
    if (split && stop > offset && (scratch.lines === 0 || overLong)) {
      w.endContinued();
      offset = stop;
    } else {
      w.restore(scratch);
    }
    break;
  }
  return { endIndex: index, endOffset: offset, logical: w.logical, consoleLines };
}

/** Status and drop notices: "» text" / "⚠ N console lines dropped…", bold cyan, never changing the console's colour. */
function writeNotice(w: BlockWriter, item: Notice): boolean {
  const console = w.logical;
  w.logical = w.colour ? STATUS_STYLE : 0;
  const text =
    item.kind === 'status'
      ? `» ${item.text}`
      : `⚠ ${formatCount(item.count)} console line${item.count === 1 ? '' : 's'} dropped: feed memory limit reached`;
  const complete = w.writeLine(text, 0, false, false) === text.length;
  w.logical = console;
  return complete;
}
