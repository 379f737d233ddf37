/**
 * A few console lines (the answer to /cmd, a short /logs) as one code block that fits a reply: newest lines kept when
 * they do not all fit, fences neutralised so console text cannot escape the block, colour mapped like the feed.
 */
import { neutraliseFences, toPlainText } from '../feed/escape.ts';
import { AnsiMapper } from '../feed/writer.ts';

export function renderConsoleExcerpt(lines: readonly string[], maxChars: number, ansi: boolean): string {
  return consoleExcerpt(lines, maxChars, ansi).text;
}

/** The excerpt, and whether it shows every line in full (false: older lines left out, or the only line cut). */
export function consoleExcerpt(
  lines: readonly string[],
  maxChars: number,
  ansi: boolean,
): { text: string; complete: boolean } {
  const open = ansi ? '```ansi\n' : '```\n';
  const close = '\n```';
  const mapper = ansi ? new AnsiMapper({ ansi: true }) : undefined;
  const rendered = lines.map((line) =>
    neutraliseFences(mapper ? mapper.line(line) : toPlainText(line)).replace(/\r?\n/g, ' '),
  );
  // A reset only when the last line leaves colour active (as the feed does); the budget keeps room for it either way.
  const reset = mapper ? mapper.end() : '';
  const budget = maxChars - open.length - close.length - '\x1b[0m'.length - 40;
  const kept: string[] = [];
  let used = 0;
  for (let i = rendered.length - 1; i >= 0; i--) {
    const line = rendered[i] ?? '';
    const cost = line.length + 1;
    if (used + cost > budget) break;
    kept.unshift(line);
    used += cost;
  }
  const complete = kept.length === rendered.length;
  if (kept.length === 0 && rendered.length > 0) {
    // Cut as plain text: a cut through the rendered line could split an escape sequence.
    const last = neutraliseFences(toPlainText(lines.at(-1) ?? '')).replace(/\r?\n/g, ' ');
    kept.push(`${last.slice(0, Math.max(0, budget - 1))}…`);
  }
  const skipped = rendered.length - kept.length;
  const note = skipped > 0 ? `… ${skipped} earlier line${skipped === 1 ? '' : 's'} not shown\n` : '';
  return { text: `${open}${note}${kept.join('\n')}${reset}${close}`, complete };
}
