/**
 * A few console lines (the answer to /cmd, a short /logs) as one code block that fits a reply: newest lines kept when
 * they do not all fit, fences neutralised so console text cannot escape the block, colour mapped like the feed.
 */
import { neutraliseFences, toPlainText } from '../feed/escape.ts';
import { AnsiMapper } from '../feed/writer.ts';

export function renderConsoleExcerpt(lines: readonly string[], maxChars: number, ansi: boolean): string {
  const open = ansi ? '```ansi\n' : '```\n';
  const close = '\n```';
  const mapper = ansi ? new AnsiMapper({ ansi: true }) : undefined;
  const rendered = lines.map((line) =>
    neutraliseFences(mapper ? mapper.line(line) : toPlainText(line)).replace(/\r?\n/g, ' '),
  );
  const reset = mapper ? '\x1b[0m' : '';
  const budget = maxChars - open.length - close.length - reset.length - 40;
  const kept: string[] = [];
  let used = 0;
  for (let i = rendered.length - 1; i >= 0; i--) {
    const line = rendered[i] ?? '';
    const cost = line.length + 1;
    if (used + cost > budget) break;
    kept.unshift(line);
    used += cost;
  }
  const skipped = rendered.length - kept.length;
  if (kept.length === 0 && rendered.length > 0) {
    const last = rendered.at(-1) ?? '';
    kept.push(`${last.slice(0, Math.max(0, budget - 1))}…`);
  }
  const note = skipped > 0 ? `… ${skipped} earlier line${skipped === 1 ? '' : 's'} not shown\n` : '';
  return `${open}${note}${kept.join('\n')}${reset}${close}`;
}
