/**
 * Admin-written redaction patterns, made safe to run on every console line.
 *
 * Two layers:
 *   1. A structural check with messages a person can act on: no backreferences, no lookaround, no nested repeats
 *      ("(a+)+"), no repeated alternation ("(a|ab)+"), counted repeats up to 16, at most 200 characters. Those are the
 *      shapes that make a backtracking engine take exponential time.
 *   2. Every pattern runs on V8's linear-time engine (the RegExp `l` flag, enabled once per process with the V8 option
 *      --enable-experimental-regexp-engine): matching time grows linearly with the line, whatever the pattern, so a
 *      crafted chat line cannot stall the feed. A pattern that engine cannot run is refused. Where the engine is missing
 *      (a Node build without the option), custom patterns are refused rather than run unbounded.
 * The engine knows no `i` or `u` flag, so patterns are case-sensitive ("[Pp]assword").
 */
import { setFlagsFromString } from 'node:v8';
import { MAX_PATTERN_LENGTH } from './types.ts';

/** Largest {n,m} count accepted (the linear engine's own limit). */
export const MAX_REPEAT_COUNT = 16;

/** Global + linear-time engine. A variable, so no tool rewrites the constructor into a literal TypeScript rejects. */
const LINEAR_FLAGS: string = 'gl';

function detectLinearEngine(): boolean {
  const works = () => {
    try {
      new RegExp('a', LINEAR_FLAGS.slice(1));
      return true;
    } catch {
      return false;
    }
  };
  if (works()) return true;
  try {
    // Read when a RegExp with the `l` flag is created; it changes nothing for patterns without the flag.
    setFlagsFromString('--enable-experimental-regexp-engine');
  } catch {
    return false;
  }
  return works();
}

export const LINEAR_ENGINE = detectLinearEngine();

export type PatternCheck = { ok: true; regex: RegExp } | { ok: false; error: string };

interface Frame {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

/** Finds the structural problems of a pattern; undefined when there are none. */
export function structuralProblem(pattern: string): string | undefined {
  const stack: Frame[] = [{ hasQuantifier: false, hasAlternation: false }];
  // What the next quantifier applies to: a group (with what it contained) or a plain atom.
  let lastAtom: Frame | 'atom' | undefined;
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i] as string;
    const top = stack[stack.length - 1] as Frame;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return 'The pattern ends with a lone backslash.';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return 'Backreferences (\\1, \\k<name>) are not allowed: they cannot be matched in bounded time.';
      }
      i += 2;
      lastAtom = 'atom';
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++; // "[]" and "[^]" take the bracket literally only in other engines; harmless here
      while (j < n && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      if (j >= n) return 'A character class `[` is not closed.';
      i = j + 1;
      lastAtom = 'atom';
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || /^\(\?<[=!]/.test(pattern.slice(i, i + 4))) {
        return 'Lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not allowed; match the text itself instead.';
      }
      stack.push({ hasQuantifier: false, hasAlternation: false });
      if (pattern.startsWith('(?:', i)) i += 3;
      else if (pattern.startsWith('(?<', i)) {
        const close = pattern.indexOf('>', i);
        i = close < 0 ? n : close + 1; // a named group's header
      } else i += 1;
      lastAtom = undefined;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'There is a `)` without a matching `(`.';
      const done = stack.pop() as Frame;
      const parent = stack[stack.length - 1] as Frame;
      parent.hasQuantifier ||= done.hasQuantifier;
      parent.hasAlternation ||= done.hasAlternation;
      lastAtom = done;
      i++;
      continue;
    }
    if (c === '|') {
      top.hasAlternation = true;
      lastAtom = undefined;
      i++;
      continue;
    }
    const quantifier = readQuantifier(pattern, i);
    if (quantifier) {
      if (lastAtom === undefined) return `The repeat \`${quantifier.text}\` has nothing to repeat.`;
      if (quantifier.max > MAX_REPEAT_COUNT && quantifier.max !== Number.POSITIVE_INFINITY) {
        return `Counted repeats are limited to ${MAX_REPEAT_COUNT} (like {1,${MAX_REPEAT_COUNT}}); use + or * for longer runs.`;
      }
      if (quantifier.min > MAX_REPEAT_COUNT) {
        return `Counted repeats are limited to ${MAX_REPEAT_COUNT} (like {1,${MAX_REPEAT_COUNT}}); use + or * for longer runs.`;
      }
      if (lastAtom !== 'atom' && quantifier.max > 1) {
        if (lastAtom.hasQuantifier) {
          return 'Nested repeats like (a+)+ are not allowed: they can take exponential time on some lines. Repeat only once, e.g. a+ or (?:ab)+.';
        }
        if (lastAtom.hasAlternation) {
          return 'Repeated alternatives like (a|b)+ are not allowed: they can take exponential time. Use a character class such as [ab]+ instead.';
        }
      }
      top.hasQuantifier = true;
      i += quantifier.text.length;
      if (pattern[i] === '?') i++; // lazy form
      lastAtom = undefined;
      continue;
    }
    lastAtom = c === '^' || c === '$' ? undefined : 'atom';
    i++;
  }
  if (stack.length > 1) return 'A group `(` is not closed.';
  return undefined;
}

function readQuantifier(s: string, i: number): { text: string; min: number; max: number } | undefined {
  const c = s[i];
  if (c === '*') return { text: '*', min: 0, max: Number.POSITIVE_INFINITY };
  if (c === '+') return { text: '+', min: 1, max: Number.POSITIVE_INFINITY };
  if (c === '?') return { text: '?', min: 0, max: 1 };
  if (c !== '{') return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i, i + 24));
  if (!m) return undefined; // a literal "{" in this (non-unicode) syntax
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { text: m[0], min, max };
}

/** Checks a custom pattern and compiles it for the linear engine; the error is one sentence for the admin. */
export function validatePattern(pattern: string): PatternCheck {
  if (pattern.length === 0) return { ok: false, error: 'The pattern is empty.' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return {
      ok: false,
      error: `The pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}.`,
    };
  }
  if (/[\r\n]/.test(pattern)) return { ok: false, error: 'The pattern contains a line break.' };
  const problem = structuralProblem(pattern);
  if (problem) return { ok: false, error: problem };
  if (!LINEAR_ENGINE) {
    return {
      ok: false,
      error:
        "Custom redaction patterns need Node's linear-time regular expression engine, which this Node build lacks.",
    };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, LINEAR_FLAGS);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const why = text.slice(text.lastIndexOf(': ') + 2);
    if (/linear time/i.test(why)) {
      return {
        ok: false,
        error: `This pattern cannot be run in bounded time (repeats of repeats, or counted repeats above ${MAX_REPEAT_COUNT}); simplify it.`,
      };
    }
    return { ok: false, error: `That is not a valid regular expression: ${why}.` };
  }
  regex.lastIndex = 0;
  if (regex.exec('') !== null) {
    return {
      ok: false,
      error: 'The pattern matches empty text, so it would hide nothing; make it match at least one character.',
    };
  }
  regex.lastIndex = 0;
  return { ok: true, regex };
}
