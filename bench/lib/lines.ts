/** Console lines as game servers print them, at a fixed visible width, plain or with ANSI colour. */

const ESC = '\u001b';
const LEVELS = ['INFO', 'WARN', 'INFO', 'INFO', 'ERROR', 'INFO'];
const WORDS = ['Preparing spawn area', 'Saving chunks', 'Player joined', 'Loaded plugin', 'Tick took', 'Autosave'];

function pad(text: string, width: number): string {
  if (text.length >= width) return text.slice(0, width);
  return (
    text +
    ' lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'
      .repeat(3)
      .slice(0, width - text.length)
  );
}

/** A plain line of exactly `width` characters; `tag` makes it findable (e.g. "L000123"). */
export function plainLine(i: number, width = 120, tag = ''): string {
  const level = LEVELS[i % LEVELS.length]!;
  const word = WORDS[i % WORDS.length]!;
  return pad(`[12:${String(i % 60).padStart(2, '0')}:00 ${level}]: ${tag}${word} ${i % 100}% `, width);
}

/**
 * The same text with colour as Paper/Spigot and modern consoles print it: basic SGR, 256-colour and truecolour
 * runs, resets — `width` visible characters, longer in bytes.
 */
export function colouredLine(i: number, width = 120, tag = ''): string {
  const text = plainLine(i, width, tag);
  const a = text.slice(0, 16);
  const b = text.slice(16, 50);
  const c = text.slice(50, 90);
  const d = text.slice(90);
  return (
    `${ESC}[0;32;1m${a}${ESC}[0m${ESC}[38;5;208m${b}${ESC}[39m` +
    `${ESC}[38;2;85;255;255m${c}${ESC}[0;4;33m${d}${ESC}[0m`
  );
}
