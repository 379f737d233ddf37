/**
 * Numbered console lines: every game line the chaos run emits carries `ln#<server><7 digits>` so it can be found again
 * in Discord messages and attachments, whatever the feed did to the rest of the line (ANSI, escaping, code blocks).
 */

/** Matches one line number; group 1 is the global number (server index × 10⁷ + sequence). */
export const LINE_PATTERN = /\bln#(\d{8})\b/g;

export function lineNumber(serverIndex: number, sequence: number): number {
  return serverIndex * 10_000_000 + sequence;
}

/** A game-looking line carrying its number; some carry ANSI colour and Discord markup to be escaped. */
export function gameLine(n: number, flavour: number): string {
  const tag = `ln#${String(n).padStart(8, '0')}`;
  switch (flavour % 5) {
    case 0:
      return `[12:00:00 INFO]: ${tag} Saving chunks for level 'ServerLevel[world]'`;
    case 1:
      return `\u001b[32m[12:00:01 INFO]: ${tag} Player **steve** joined the game\u001b[0m`;
    case 2:
      return `[12:00:02 WARN]: ${tag} Can't keep up! \`Running 2004ms\` behind, skipping ~40 ticks @everyone`;
    case 3:
      return `\u001b[38;2;255;85;85m[12:00:03 ERROR]: ${tag} Exception in thread "main" ~~oops~~ <@123> ||x||\u001b[0m`;
    default:
      return `[12:00:04 INFO]: ${tag} ${'x'.repeat(120)}`;
  }
}

/** Every line number in a text, in order (repeats kept). */
export function numbersIn(text: string): number[] {
  return [...text.matchAll(LINE_PATTERN)].map((m) => Number(m[1]));
}
