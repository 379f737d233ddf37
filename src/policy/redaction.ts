/**
 * Redaction of console lines before they reach Discord (feed, /logs, /cmd output, the feed's audit lines).
 *
 * Built-in rules: panel API keys (ptlc_/pacc_/ptla_/papp_) and JWT-shaped tokens, always; IPv4/IPv6 addresses, on
 * unless a binding turns them off. Custom rules: admin patterns, checked and compiled by regex-safety.ts.
 * Matching runs on the visible text (visible-text.ts), so escape codes or zero-width characters between the characters
 * of an address do not hide it. The built-in rules are linear scans or fixed-width patterns; custom patterns run on
 * V8's linear-time engine, and lines longer than MAX_REDACTED_LINE are cut when a binding has custom rules, so the
 * work per line is bounded.
 */
import { isIPv6 } from 'node:net';
import { validatePattern } from './regex-safety.ts';
import type { RedactionSettings } from './types.ts';
import { mergeSpans, replaceSpans, type Span, visibleText } from './visible-text.ts';

export const LABEL_IP = '[IP hidden]';
export const LABEL_KEY = '[key hidden]';
export const LABEL_TOKEN = '[token hidden]';
export const LABEL_CUSTOM = '[redacted]';

/** Longest line custom patterns run on; the rest of a longer line is cut (built-in rules run on whole lines). */
export const MAX_REDACTED_LINE = 16_384;

export interface CompiledRedaction {
  ips: boolean;
  custom: Array<{ pattern: string; regex: RegExp }>;
  /** Stored patterns that no longer pass the checks (shown by /server redact list; they hide nothing). */
  invalid: Array<{ pattern: string; error: string }>;
}

const cache = new WeakMap<RedactionSettings, CompiledRedaction>();
const ALWAYS: CompiledRedaction = { ips: false, custom: [], invalid: [] };
const DEFAULT: CompiledRedaction = { ips: true, custom: [], invalid: [] };

/** Compiles a binding's settings once (keyed by the settings object, which a binding update replaces). */
export function compileRedaction(settings: RedactionSettings | undefined): CompiledRedaction {
  if (!settings) return DEFAULT;
  const cached = cache.get(settings);
  if (cached) return cached;
  const compiled: CompiledRedaction = { ips: settings.ips, custom: [], invalid: [] };
  for (const rule of settings.rules) {
    const check = validatePattern(rule.pattern);
    if (check.ok) compiled.custom.push({ pattern: rule.pattern, regex: check.regex });
    else compiled.invalid.push({ pattern: rule.pattern, error: check.error });
  }
  cache.set(settings, compiled);
  return compiled;
}

/** Only the always-on rules (keys, tokens): for text with no binding, e.g. log lines. */
export const ALWAYS_ON: CompiledRedaction = ALWAYS;

/** The line with everything the rules match replaced by a label. */
export function redactLine(line: string, rules: CompiledRedaction): string {
  let raw = line;
  let cut = '';
  if (rules.custom.length > 0 && raw.length > MAX_REDACTED_LINE) {
    cut = ` … [${(raw.length - MAX_REDACTED_LINE).toLocaleString('en-US')} more characters cut: too long to redact]`;
    raw = raw.slice(0, MAX_REDACTED_LINE);
  }
  const visible = visibleText(raw);
  const spans = findSpans(visible.text, rules);
  if (spans.length === 0) return raw + cut;
  return replaceSpans(raw, visible, mergeSpans(spans)) + cut;
}

export function findSpans(text: string, rules: CompiledRedaction): Span[] {
  const spans: Span[] = [];
  if (text.indexOf('_') >= 0) regexSpans(text, KEY, LABEL_KEY, spans);
  if (text.indexOf('eyJ') >= 0) jwtSpans(text, spans);
  if (rules.ips) {
    if (text.indexOf('.') >= 0) regexSpans(text, IPV4, LABEL_IP, spans);
    if (text.indexOf(':') >= 0) ipv6Spans(text, spans);
  }
  for (const { regex } of rules.custom) regexSpans(text, regex, LABEL_CUSTOM, spans);
  return spans;
}

const KEY = /(?:ptlc|pacc|ptla|papp)_[A-Za-z0-9]{8,}/g;
// Fixed-width parts only: each start costs a bounded number of steps.
const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\d|\.\d)/g;

function regexSpans(text: string, regex: RegExp, label: string, out: Span[]): void {
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    if (m[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    out.push({ start: m.index, end: m.index + m[0].length, label });
  }
}

function isB64Url(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
}

/**
 * "eyJ…" header, '.', payload, '.', optional signature, all base64url. A linear scan: after a failed candidate the
 * search resumes past the header run, since any "eyJ" inside it would reach the same failure.
 */
function jwtSpans(text: string, out: Span[]): void {
  const n = text.length;
  let from = 0;
  for (;;) {
    const start = text.indexOf('eyJ', from);
    if (start < 0) return;
    let j = start;
    while (j < n && isB64Url(text.charCodeAt(j))) j++;
    const headerEnd = j;
    let ok = headerEnd - start >= 8 && text.charCodeAt(j) === 0x2e;
    if (ok) {
      j++;
      const payloadStart = j;
      while (j < n && isB64Url(text.charCodeAt(j))) j++;
      ok = j > payloadStart && text.charCodeAt(j) === 0x2e;
      if (ok) {
        j++;
        while (j < n && isB64Url(text.charCodeAt(j))) j++;
      }
    }
    if (ok) {
      out.push({ start, end: j, label: LABEL_TOKEN });
      from = j;
    } else from = Math.max(start + 3, headerEnd);
  }
}

function isIpv6Char(c: number): boolean {
  return (c >= 0x30 && c <= 0x3a) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x2e;
}

/** Runs of hex digits, colons and dots validated by Node's own parser (a trailing ":port" is tried without). */
function ipv6Spans(text: string, out: Span[]): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isIpv6Char(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let colons = 0;
    while (j < n && isIpv6Char(text.charCodeAt(j))) {
      if (text.charCodeAt(j) === 0x3a) colons++;
      j++;
    }
    // A run glued to other letters is part of a word ("Foo::bar"), not an address.
    if (colons >= 2 && !isWordChar(text.charCodeAt(i - 1)) && !isWordChar(text.charCodeAt(j))) {
      const span = ipv6In(text, i, j);
      if (span) out.push(span);
    }
    i = j;
  }
}

function isWordChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function ipv6In(text: string, runStart: number, runEnd: number): Span | undefined {
  let start = runStart;
  let end = runEnd;
  // "host:2001:db8::1" leaves a single leading colon on the run; "…::1." ends a sentence.
  if (text[start] === ':' && text[start + 1] !== ':') start++;
  while (end > start && text[end - 1] === '.') end--;
  for (let attempt = 0; attempt < 3 && end > start; attempt++) {
    const candidate = text.slice(start, end);
    if (/[0-9a-fA-F]/.test(candidate) && isIPv6(candidate)) return { start, end, label: LABEL_IP };
    const lastColon = candidate.lastIndexOf(':');
    if (lastColon <= 0) return undefined;
    // Cut a trailing ":port" (or stray colon), never into a "::".
    end = start + (candidate[lastColon - 1] === ':' ? lastColon + 1 : lastColon);
    if (candidate[lastColon - 1] === ':' && end === start + candidate.length) return undefined;
  }
  return undefined;
}

/** A reusable per-binding redactor: compiled once per settings object. */
export function redactorFor(settings: RedactionSettings | undefined): (line: string) => string {
  const compiled = compileRedaction(settings);
  return (line) => redactLine(line, compiled);
}
