import { describe, expect, it } from 'vitest';
import {
  compileRedaction,
  LABEL_CUSTOM,
  LABEL_IP,
  LABEL_KEY,
  LABEL_TOKEN,
  LINEAR_ENGINE,
  MAX_REDACTED_LINE,
  redactLine,
  validatePattern,
  visibleText,
} from '../src/policy/index.ts';

const defaults = compileRedaction(undefined);
const noIps = compileRedaction({ ips: false, rules: [] });
const KEY = `ptlc_${'a1B2c3D4e5'.repeat(4)}xyz`;
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXNpZw';
const ESC = '\x1b';

describe('built-in rules', () => {
  it.each([
    ['Steve[/203.0.113.5:51234] logged in', `Steve[/${LABEL_IP}:51234] logged in`],
    ['from 10.0.0.1.', `from ${LABEL_IP}.`],
    ['1.2.3.4 and 255.255.255.255', `${LABEL_IP} and ${LABEL_IP}`],
    ['Minecraft 1.20.4 ready', 'Minecraft 1.20.4 ready'], // three parts: a version, not an address
    ['build 1.2.3.4.5', 'build 1.2.3.4.5'], // five parts
    ['[2001:db8::1]:25565', `[${LABEL_IP}]:25565`],
    ['peer 2001:db8::1:25565 joined', `peer ${LABEL_IP}:25565 joined`],
    ['fe80::1ff:fe23:4567:890a', LABEL_IP],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', LABEL_IP],
    ['::ffff:192.0.2.1', LABEL_IP],
    ['[12:34:56 INFO]: Done (3.2s)!', '[12:34:56 INFO]: Done (3.2s)!'], // a time is not an address
    ['at Foo::bar and ::', 'at Foo::bar and ::'],
    [`key ${KEY} end`, `key ${LABEL_KEY} end`],
    ['pacc_ABCDEFGH12 papp_12345678 ptla_abcdefgh', `${LABEL_KEY} ${LABEL_KEY} ${LABEL_KEY}`],
    ['ptlc_short', 'ptlc_short'],
    [`Authorization: Bearer ${JWT}`, `Authorization: Bearer ${LABEL_TOKEN}`],
    [`token=${JWT}.`, `token=${LABEL_TOKEN}.`],
    ['eyJeyJeyJ no dots here', 'eyJeyJeyJ no dots here'],
    ['１９２.１６８.０.１', LABEL_IP], // fullwidth digits read as an address
    ['1\u200b92.168.0.1', LABEL_IP], // zero-width space inside
    ['nothing to see', 'nothing to see'],
  ])('%j', (line, expected) => {
    expect(redactLine(line, defaults)).toBe(expected);
  });

  it('keeps keys and tokens hidden when IPs are turned off', () => {
    expect(redactLine(`1.2.3.4 ${KEY} ${JWT}`, noIps)).toBe(`1.2.3.4 ${LABEL_KEY} ${LABEL_TOKEN}`);
  });

  it('matches the JWT shape the e2e secret grep looks for, on a real-looking Wings token', () => {
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const payload = Buffer.from(JSON.stringify({ user_uuid: 'x', exp: 1_900_000_000 })).toString('base64url');
    const token = `${header}.${payload}.${Buffer.from('signature-bytes').toString('base64url')}`;
    expect(redactLine(`socket auth ${token} ok`, defaults)).toBe(`socket auth ${LABEL_TOKEN} ok`);
  });
});

describe('escape codes between characters', () => {
  it('catches an address coloured digit by digit and keeps the colour codes', () => {
    const line = `ip ${ESC}[31m1${ESC}[32m9${ESC}[33m2.1${ESC}[0m68.0.1 ok`;
    const out = redactLine(line, defaults);
    expect(out).toBe(`ip ${ESC}[31m${LABEL_IP}${ESC}[32m${ESC}[33m${ESC}[0m ok`);
    expect(visibleText(out).text).toBe(`ip ${LABEL_IP} ok`);
  });

  it('catches a key split by an OSC sequence and a bare CSI', () => {
    const line = `k=${KEY.slice(0, 9)}${ESC}]0;title\x07${KEY.slice(9, 20)}\x9b1m${KEY.slice(20)}!`;
    expect(visibleText(redactLine(line, defaults)).text).toBe(`k=${LABEL_KEY}!`);
  });

  it('maps back correctly with several spans and escapes before them', () => {
    const line = `${ESC}[33m[Server]${ESC}[0m 10.0.0.1 -> ${ESC}[1m10.0.0.2${ESC}[22m done`;
    expect(redactLine(line, defaults)).toBe(
      `${ESC}[33m[Server]${ESC}[0m ${LABEL_IP} -> ${ESC}[1m${LABEL_IP}${ESC}[22m done`,
    );
  });
});

describe('custom rules', () => {
  it.skipIf(!LINEAR_ENGINE)('hides what a custom pattern matches', () => {
    const rules = compileRedaction({
      ips: true,
      rules: [{ pattern: '[Pp]assword=\\S+' }, { pattern: 'secret-\\d{4}' }],
    });
    expect(redactLine('login Password=hunter2 code secret-1234 at 1.1.1.1', rules)).toBe(
      `login ${LABEL_CUSTOM} code ${LABEL_CUSTOM} at ${LABEL_IP}`,
    );
  });

  it.skipIf(!LINEAR_ENGINE)('cuts lines beyond the bound when custom rules exist, and only then', () => {
    const rules = compileRedaction({ ips: false, rules: [{ pattern: 'zz' }] });
    const long = 'a'.repeat(MAX_REDACTED_LINE + 50);
    expect(redactLine(long, rules)).toBe(
      `${'a'.repeat(MAX_REDACTED_LINE)} … [50 more characters cut: too long to redact]`,
    );
    expect(redactLine(long, noIps)).toBe(long);
  });

  it.skipIf(!LINEAR_ENGINE)('runs a would-be catastrophic pattern in linear time', () => {
    // `(?:a|a)*b`-like blow-ups are refused by the checks; what passes runs on the linear engine, so even a pattern
    // that is polynomial under backtracking (.*b.*c on a line of "ab"s) finishes quickly on a capped line.
    const rules = compileRedaction({ ips: false, rules: [{ pattern: '.*b.*c' }] });
    expect(redactLine('ab'.repeat(MAX_REDACTED_LINE / 2), rules)).toBe('ab'.repeat(MAX_REDACTED_LINE / 2));
  });

  it('lists stored patterns that no longer pass instead of running them', () => {
    const rules = compileRedaction({ ips: true, rules: [{ pattern: '(a+)+$' }] });
    expect(rules.custom).toEqual([]);
    expect(rules.invalid).toEqual([{ pattern: '(a+)+$', error: expect.stringMatching(/Nested repeats/) }]);
  });

  it('compiles once per settings object', () => {
    const settings = { ips: true, rules: [] };
    expect(compileRedaction(settings)).toBe(compileRedaction(settings));
  });
});

describe('validatePattern', () => {
  it.each([
    ['(a+)+', /Nested repeats/],
    ['(a*)*b', /Nested repeats/],
    ['((a+))+', /Nested repeats/],
    ['(?:\\w+\\s?)+', /Nested repeats/],
    ['(a?){2,}', /Nested repeats/],
    ['(a|aa)+', /Repeated alternatives/],
    ['(?:x|(y))*', /Repeated alternatives/],
    ['(a)\\1', /Backreferences/],
    ['(?<n>a)\\k<n>', /Backreferences/],
    ['(?=a)b', /Lookahead/],
    ['(?<!a)b', /Lookahead/],
    ['a{17}', /limited to 16/],
    ['a{1,100}', /limited to 16/],
    ['x'.repeat(201), /limit is 200/],
    ['', /empty/],
    ['a*', /matches empty text/],
    ['(', /not closed/],
    ['a)', /without a matching/],
    ['[abc', /not closed/],
    ['+a', /nothing to repeat/],
    ['a\nb', /line break/],
  ])('refuses %j', (pattern, message) => {
    const check = validatePattern(pattern);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.error).toMatch(message);
  });

  it
    .skipIf(!LINEAR_ENGINE)
    .each([
      '[Pp]assword=\\S+',
      '(?:ab)+',
      'x(a+)?',
      '(a|b)',
      '(?<tag>x)y',
      'token:[A-Za-z0-9]{16}',
      '\\bsecret\\b',
      '[(]+',
      'a{2}(?:bc){1,16}',
      '\\d+\\.\\d+',
    ])('accepts %j', (pattern) => {
    expect(validatePattern(pattern)).toMatchObject({ ok: true });
  });

  it.skipIf(!LINEAR_ENGINE)('reports a syntax error in a sentence', () => {
    expect(validatePattern('[z-a]')).toMatchObject({ ok: false, error: expect.stringMatching(/^That is not a valid/) });
  });
});
