/**
 * ANSI escape handling for Discord ```ansi blocks. Discord renders only SGR 0, 1, 4, 30–37 and 40–47, so every other
 * colour form is folded onto those eight colours and everything that is not SGR is dropped.
 *
 * A rendering state is a small integer (no allocation per change):
 *   bits 0–3 foreground (0 = default, 1–8 = colours 30–37), bits 4–7 background (0 = default, 1–8 = 40–47),
 *   bit 8 bold, bit 9 underline. State 0 is Discord's default look.
 */

export const BOLD = 0x100;
export const UNDERLINE = 0x200;
const FG_MASK = 0x0f;
const BG_MASK = 0xf0;

/** The eight colours of a state, 0–7 (black/grey, red, green, yellow, blue, magenta, cyan, white), or -1 for default. */
export function foregroundOf(state: number): number {
  return (state & FG_MASK) - 1;
}
export function backgroundOf(state: number): number {
  return ((state & BG_MASK) >> 4) - 1;
}
export function withForeground(state: number, colour: number): number {
  return (state & ~FG_MASK) | (colour + 1);
}
export function withBackground(state: number, colour: number): number {
  return (state & ~BG_MASK) | ((colour + 1) << 4);
}

/**
 * xterm's 16 colours. Folding the nearest of the sixteen onto its base colour (index & 7) keeps the *meaning* of a colour:
 * Minecraft's bright green #55FF55 is "green", not the cyan that a plain distance to Discord's muted palette would pick.
 */
const XTERM16: readonly number[] = [
  0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00,
  0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
];

/** Nearest of the eight basic colours (0–7) to an RGB colour. */
export function nearestBasicColour(r: number, g: number, b: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 16; i++) {
    const c = XTERM16[i]!;
    const dr = r - (c >> 16);
    const dg = g - ((c >> 8) & 0xff);
    const db = b - (c & 0xff);
    const d = dr * dr + dg * dg + db * db;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best & 7;
}

const CUBE_LEVELS = [0, 95, 135, 175, 215, 255] as const;

/** RGB of an xterm 256-colour index (0–255). */
export function xterm256Rgb(index: number): [number, number, number] {
  if (index < 16) {
    const c = XTERM16[index]!;
    return [c >> 16, (c >> 8) & 0xff, c & 0xff];
  }
  if (index < 232) {
    const i = index - 16;
    return [CUBE_LEVELS[Math.floor(i / 36)]!, CUBE_LEVELS[Math.floor(i / 6) % 6]!, CUBE_LEVELS[i % 6]!];
  }
  const grey = 8 + (index - 232) * 10;
  return [grey, grey, grey];
}

/** Nearest basic colour (0–7) of each 256-colour index, computed once. */
export const XTERM256_TO_BASIC: readonly number[] = Array.from({ length: 256 }, (_, i) =>
  i < 16 ? i & 7 : nearestBasicColour(...xterm256Rgb(i)),
);

// Scratch space for SGR parameters; parsing is synchronous, so one buffer serves every call.
const MAX_PARAMS = 32;
const params = new Int32Array(MAX_PARAMS);
const colonBefore = new Uint8Array(MAX_PARAMS);

/**
 * Applies the SGR parameters in s[start, end) (the text between "ESC[" and "m") to a state and returns the new state.
 * Sequences with bytes other than digits, ';' and ':' (private or intermediate forms) are ignored as a whole.
 */
export function applySgr(state: number, s: string, start: number, end: number): number {
  // Fast path for the common one-code forms: "", "0", "1", "32", "39", "97".
  if (end - start <= 2) {
    if (end === start) return 0;
    const a = s.charCodeAt(start) - 0x30;
    const b = end - start === 2 ? s.charCodeAt(start + 1) - 0x30 : -1;
    if (a >= 0 && a <= 9 && b <= 9 && (b >= 0 || end - start === 1) && !(a === 3 && b === 8) && !(a === 4 && b === 8)) {
      params[0] = b < 0 ? a : a * 10 + b;
      colonBefore[0] = 0;
      return applyParams(state, 1);
    }
  }
  let count = 0;
  let current = -1;
  let colon = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      current = current < 0 ? c - 0x30 : Math.min(current * 10 + (c - 0x30), 100_000);
    } else if (c === 0x3b || c === 0x3a) {
      if (count < MAX_PARAMS) {
        params[count] = current;
        colonBefore[count] = colon;
        count++;
      }
      colon = c === 0x3a ? 1 : 0;
      current = -1;
    } else {
      return state;
    }
  }
  if (count < MAX_PARAMS) {
    params[count] = current;
    colonBefore[count] = colon;
    count++;
  }
  return applyParams(state, count);
}

function applyParams(state: number, count: number): number {
  for (let k = 0; k < count; k++) {
    const p = Math.max(params[k]!, 0);
    if (p === 0) state = 0;
    else if (p === 1) state |= BOLD;
    else if (p === 4) state |= UNDERLINE;
    else if (p === 22) state &= ~BOLD;
    else if (p === 24) state &= ~UNDERLINE;
    else if (p >= 30 && p <= 37) state = withForeground(state, p - 30);
    else if (p === 39) state &= ~FG_MASK;
    else if (p >= 40 && p <= 47) state = withBackground(state, p - 40);
    else if (p === 49) state &= ~BG_MASK;
    else if (p >= 90 && p <= 97) state = withForeground(state, p - 90);
    else if (p >= 100 && p <= 107) state = withBackground(state, p - 100);
    else if (p === 38 || p === 48) {
      const next = extendedColour(k + 1, count);
      const colour = next >> 8;
      k = (next & 0xff) - 1;
      if (colour >= 0) state = p === 38 ? withForeground(state, colour) : withBackground(state, colour);
    }
  }
  return state;
}

/**
 * Reads "5;n" / "2;r;g;b" (or the colon forms "5:n", "2:r:g:b", "2:cs:r:g:b") starting at params[k].
 * Returns (colour << 8) | nextIndex, colour -1 when absent or malformed.
 */
function extendedColour(k: number, count: number): number {
  if (k >= count) return (-1 << 8) | count;
  if (colonBefore[k] === 1) {
    let end = k;
    while (end < count && (end === k || colonBefore[end] === 1)) end++;
    const mode = params[k]!;
    const n = end - k;
    let colour = -1;
    if (mode === 5 && n >= 2) colour = indexColour(params[k + 1]!);
    else if (mode === 2 && n >= 5) colour = rgbColour(params[k + 2]!, params[k + 3]!, params[k + 4]!);
    else if (mode === 2 && n === 4) colour = rgbColour(params[k + 1]!, params[k + 2]!, params[k + 3]!);
    return (colour << 8) | end;
  }
  const mode = params[k]!;
  if (mode === 5) {
    if (k + 1 >= count) return (-1 << 8) | count;
    return (indexColour(params[k + 1]!) << 8) | (k + 2);
  }
  if (mode === 2) {
    if (k + 3 >= count) return (-1 << 8) | count;
    return (rgbColour(params[k + 1]!, params[k + 2]!, params[k + 3]!) << 8) | (k + 4);
  }
  return (-1 << 8) | (k + 1);
}

function indexColour(index: number): number {
  return index >= 0 && index <= 255 ? XTERM256_TO_BASIC[index]! : -1;
}

function rgbColour(r: number, g: number, b: number): number {
  if (r > 255 || g > 255 || b > 255) return -1;
  return nearestBasicColour(Math.max(r, 0), Math.max(g, 0), Math.max(b, 0));
}

const transitions = new Map<number, string>();

/**
 * The shortest SGR sequence Discord understands that turns rendered state `from` into `to`. Turning anything *off*
 * (39/49/22/24 have no Discord equivalent) is a reset followed by re-applying what remains.
 */
let lastTransitionKey = -1;
let lastTransition = '';

export function transition(from: number, to: number): string {
  const key = from * 1024 + to;
  if (key === lastTransitionKey) return lastTransition;
  lastTransitionKey = key;
  lastTransition = transitionUncached(from, to, key);
  return lastTransition;
}

function transitionUncached(from: number, to: number, key: number): string {
  const cached = transitions.get(key);
  if (cached !== undefined) return cached;
  const turnsOff =
    (from & BOLD && !(to & BOLD)) ||
    (from & UNDERLINE && !(to & UNDERLINE)) ||
    (from & FG_MASK && !(to & FG_MASK)) ||
    (from & BG_MASK && !(to & BG_MASK));
  const base = turnsOff ? 0 : from;
  const codes: number[] = turnsOff ? [0] : [];
  if (to & BOLD && !(base & BOLD)) codes.push(1);
  if (to & UNDERLINE && !(base & UNDERLINE)) codes.push(4);
  if ((to & FG_MASK) !== (base & FG_MASK)) codes.push(29 + (to & FG_MASK));
  if ((to & BG_MASK) !== (base & BG_MASK)) codes.push(39 + ((to & BG_MASK) >> 4));
  const sequence = codes.length === 0 ? '' : `\x1b[${codes.join(';')}m`;
  transitions.set(key, sequence);
  return sequence;
}

/**
 * End (exclusive) of the escape sequence that starts at s[i] (ESC or the 8-bit CSI 0x9B). CSI ends at its final byte,
 * OSC/DCS/SOS/PM/APC at BEL or ESC \, other escapes after their final byte. A sequence broken by an unexpected character
 * ends before that character; one cut off by the end of the line runs to the end.
 */
export function escapeEnd(s: string, i: number): number {
  const n = s.length;
  if (s.charCodeAt(i) === 0x9b) return csiEnd(s, i + 1);
  const j = i + 1;
  if (j >= n) return n;
  const c = s.charCodeAt(j);
  if (c === 0x5b) return csiEnd(s, j + 1);
  if (c === 0x5d || c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) {
    for (let k = j + 1; k < n; k++) {
      const d = s.charCodeAt(k);
      if (d === 0x07) return k + 1;
      if (d === 0x1b) return s.charCodeAt(k + 1) === 0x5c ? k + 2 : k;
    }
    return n;
  }
  if (c >= 0x20 && c <= 0x2f) {
    let k = j + 1;
    while (k < n && s.charCodeAt(k) >= 0x20 && s.charCodeAt(k) <= 0x2f) k++;
    return k < n && s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x7e ? k + 1 : k;
  }
  if (c >= 0x30 && c <= 0x7e) return j + 1;
  return j;
}

function csiEnd(s: string, k: number): number {
  const n = s.length;
  for (; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x40 && c <= 0x7e) return k + 1;
    if (c < 0x20 || c > 0x3f) return k;
  }
  return n;
}

/** If the escape at s[i, end) is an SGR sequence, the index where its parameters start; otherwise -1. */
export function sgrParamStart(s: string, i: number, end: number): number {
  if (s.charCodeAt(end - 1) !== 0x6d) return -1;
  const start = s.charCodeAt(i) === 0x9b ? i + 1 : i + 2;
  if (start > end - 1) return -1;
  return s.charCodeAt(start - 1) === 0x5b || start === i + 1 ? start : -1;
}

/** Removes every escape sequence (ESC…, 8-bit CSI); all other characters are kept. */
export function stripAnsi(s: string): string {
  let i = s.indexOf('\x1b');
  const c1 = s.indexOf('\x9b');
  if (i < 0 || (c1 >= 0 && c1 < i)) i = c1;
  if (i < 0) return s;
  let out = s.slice(0, i);
  let from = i;
  const n = s.length;
  while (from < n) {
    const c = s.charCodeAt(from);
    if (c === 0x1b || c === 0x9b) {
      from = escapeEnd(s, from);
      continue;
    }
    let j = from + 1;
    while (j < n && s.charCodeAt(j) !== 0x1b && s.charCodeAt(j) !== 0x9b) j++;
    out += s.slice(from, j);
    from = j;
  }
  return out;
}
