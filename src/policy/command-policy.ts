/**
 * Per-binding console command policy: an allow list or a deny list of command words.
 *
 * A command is judged by its first word, after the normalisation a game (or a plugin) might apply before it looks the
 * command up, so spelling tricks do not slip past a deny list:
 *   - Unicode NFKC (fullwidth "ｏｐ" → "op", fullwidth "／" and "；" too), then lower case;
 *   - leading whitespace and leading slashes ("  /op", "//op"), surrounding quotes;
 *   - namespaces ("minecraft:op", "bukkit:op" → "op": the part after the last colon);
 *   - combining marks removed (NFKD) and common Cyrillic/Greek look-alikes folded to Latin ("ор" in Cyrillic → "op").
 * Because some games (Source engine consoles) run each `;`-separated part as its own command, every part's first word
 * is judged, in both modes. Line breaks, control and invisible characters never get this far (validateConsoleCommand).
 *
 * Not covered (documented in the report): aliases a plugin defines for a denied command (Essentials' "eop"), wrappers that
 * run another command further into the line ("execute … run op", "sudo"), and games that split commands on something
 * other than `;` or a line break. An allow list is the tool for those.
 */
import { type CommandPolicy, MAX_POLICY_WORDS, MAX_WORD_LENGTH } from './types.ts';

/** Latin look-alikes (lower case) that NFKC leaves alone; folding them makes a deny list catch "ор" typed in Cyrillic. */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  ο: 'o',
  α: 'a',
  ρ: 'p',
  ν: 'v',
  ι: 'i',
  κ: 'k',
  υ: 'u',
  χ: 'x',
  ε: 'e',
  τ: 't',
  ı: 'i',
};

const COMBINING = /\p{M}/gu;
const QUOTES = /^["'`]+|["'`]+$/g;

/** The comparable form of one command word ("/Minecraft:ＯＰ" → "op"). Empty when nothing word-like is left. */
export function normaliseCommandWord(word: string): string {
  let w = word.normalize('NFKC').toLowerCase().trim();
  w = w.replace(QUOTES, '').replace(/^\/+/, '').replace(QUOTES, '');
  const colon = w.lastIndexOf(':');
  if (colon >= 0 && colon < w.length - 1) w = w.slice(colon + 1);
  w = w.normalize('NFKD').replace(COMBINING, '');
  let out = '';
  for (const ch of w) out += CONFUSABLES[ch] ?? ch;
  return out.normalize('NFKC').toLowerCase();
}

export interface CommandWord {
  /** The normalised first word. */
  word: string;
  /** 0 for the command itself, 1+ for parts after a `;`. */
  part: number;
}

/** The first word of each `;`-separated part of a command, normalised; empty parts are skipped. */
export function commandWords(command: string): CommandWord[] {
  const parts = command.normalize('NFKC').split(';');
  const out: CommandWord[] = [];
  parts.forEach((part, index) => {
    const trimmed = part.trim();
    if (trimmed === '') return;
    const first = trimmed.split(/\s+/u)[0] ?? '';
    out.push({ word: normaliseCommandWord(first), part: index });
  });
  return out;
}

export type PolicyVerdict =
  | { ok: true }
  | { ok: false; reason: 'denied' | 'not_allowed'; word: string; part: number }
  | { ok: false; reason: 'empty'; word: ''; part: 0 };

/** Whether the policy lets the command through; the first refused part decides. */
export function evaluateCommand(policy: CommandPolicy, command: string): PolicyVerdict {
  const words = commandWords(command);
  if (words.length === 0) return { ok: false, reason: 'empty', word: '', part: 0 };
  const listed = new Set(policy.words.map(normaliseCommandWord));
  for (const { word, part } of words) {
    const onList = listed.has(word);
    if (policy.mode === 'deny' && onList) return { ok: false, reason: 'denied', word, part };
    if (policy.mode === 'allow' && !onList) return { ok: false, reason: 'not_allowed', word, part };
  }
  return { ok: true };
}

/** The sentence a refused member reads. `name` must already be safe for Discord (inert()). */
export function describeRefusal(verdict: Exclude<PolicyVerdict, { ok: true }>, name: string): string {
  if (verdict.reason === 'empty') return 'The command is empty.';
  const word = `\`${codeSafe(verdict.word)}\``;
  const where =
    verdict.part > 0 ? ' (it follows a `;`, and some games run each `;`-separated part as its own command)' : '';
  const list = verdict.reason === 'denied' ? 'deny list' : 'allow list';
  const is = verdict.reason === 'denied' ? 'is on' : 'is not on';
  return `${word}${where} ${is} ${name}'s ${list}; an admin can change it with /server policy.`;
}

export type ParsedWord = { ok: true; word: string } | { ok: false; error: string };

/** Checks a word an admin adds to or removes from a list and returns its stored (normalised) form. */
export function parsePolicyWord(input: string): ParsedWord {
  const trimmed = input.normalize('NFKC').trim();
  if (/\s/u.test(trimmed)) return { ok: false, error: 'Give one command word (e.g. `op`), not a whole command.' };
  if (trimmed.includes(';')) return { ok: false, error: 'A command word cannot contain `;`.' };
  if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/.test(trimmed)) {
    return { ok: false, error: 'The word contains control or invisible characters.' };
  }
  const word = normaliseCommandWord(trimmed);
  if (word === '') return { ok: false, error: 'Give a command word, e.g. `op`.' };
  if (word.length > MAX_WORD_LENGTH) {
    return { ok: false, error: `A command word can be at most ${MAX_WORD_LENGTH} characters long.` };
  }
  return { ok: true, word };
}

export type PolicyChange = { ok: true; policy: CommandPolicy; changed: boolean } | { ok: false; error: string };

export function addPolicyWord(policy: CommandPolicy, input: string): PolicyChange {
  const parsed = parsePolicyWord(input);
  if (!parsed.ok) return parsed;
  if (policy.words.includes(parsed.word)) return { ok: true, policy, changed: false };
  if (policy.words.length >= MAX_POLICY_WORDS) {
    return { ok: false, error: `The list is full (${MAX_POLICY_WORDS} words); remove one first.` };
  }
  return { ok: true, policy: { ...policy, words: [...policy.words, parsed.word] }, changed: true };
}

export function removePolicyWord(policy: CommandPolicy, input: string): PolicyChange {
  const parsed = parsePolicyWord(input);
  if (!parsed.ok) return parsed;
  if (!policy.words.includes(parsed.word)) return { ok: true, policy, changed: false };
  return { ok: true, policy: { ...policy, words: policy.words.filter((w) => w !== parsed.word) }, changed: true };
}

/** Text placed inside inline code: no backticks, bounded. */
export function codeSafe(text: string, max = 64): string {
  const clean = text.replace(/[`\r\n]/g, "'");
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
