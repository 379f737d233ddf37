import { describe, expect, it } from 'vitest';
import {
  addPolicyWord,
  type CommandPolicy,
  commandWords,
  defaultCommandPolicy,
  describeRefusal,
  evaluateCommand,
  normaliseCommandWord,
  parsePolicyWord,
  removePolicyWord,
} from '../src/policy/index.ts';

const deny = defaultCommandPolicy();
const allow: CommandPolicy = { mode: 'allow', words: ['say', 'list', 'whitelist'] };

describe('normaliseCommandWord', () => {
  it.each([
    ['op', 'op'],
    ['OP', 'op'],
    ['/op', 'op'],
    ['//op', 'op'],
    ['minecraft:op', 'op'],
    ['/Minecraft:OP', 'op'],
    ['bukkit:op', 'op'],
    ['ｏｐ', 'op'], // fullwidth
    ['／ｏｐ', 'op'], // fullwidth slash
    ['о\u0440', 'op'], // Cyrillic о and р
    ['ο\u0440', 'op'], // Greek omicron, Cyrillic р
    ['o\u0301p', 'op'], // combining acute
    ['"op"', 'op'],
    ['execute', 'execute'],
    ['op:', 'op:'], // a trailing colon names no command
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(normaliseCommandWord(input)).toBe(expected);
  });
});

describe('commandWords', () => {
  it.each([
    ['say hello', [{ word: 'say', part: 0 }]],
    ['  \u3000op  bob', [{ word: 'op', part: 0 }]], // ideographic space → space under NFKC
    [
      'say hi; op me',
      [
        { word: 'say', part: 0 },
        { word: 'op', part: 1 },
      ],
    ],
    [
      'say hi；op me',
      [
        { word: 'say', part: 0 },
        { word: 'op', part: 1 },
      ],
    ], // fullwidth semicolon
    ['say hi;', [{ word: 'say', part: 0 }]],
    [';;', []],
  ])('%j', (command, expected) => {
    expect(commandWords(command)).toEqual(expected);
  });
});

describe('evaluateCommand', () => {
  it.each([
    // [policy, command, verdict]
    [deny, 'op bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
    [deny, '/op bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
    [deny, '  /OP bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
    [deny, 'minecraft:op bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
    [deny, 'ｍｉｎｅｃｒａｆｔ：ｏｐ bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
    [deny, 'DEOP bob', { ok: false, reason: 'denied', word: 'deop', part: 0 }],
    [deny, 'execute as @a run say hi', { ok: false, reason: 'denied', word: 'execute', part: 0 }],
    [deny, 'say hi; op me', { ok: false, reason: 'denied', word: 'op', part: 1 }],
    [deny, 'say op is great', { ok: true }],
    [deny, 'opme', { ok: true }],
    [deny, 'list', { ok: true }],
    [allow, 'say hello', { ok: true }],
    [allow, '/SAY hello', { ok: true }],
    [allow, 'minecraft:list', { ok: true }],
    [allow, 'stop', { ok: false, reason: 'not_allowed', word: 'stop', part: 0 }],
    [allow, 'say a; stop', { ok: false, reason: 'not_allowed', word: 'stop', part: 1 }],
    [allow, '   ', { ok: false, reason: 'empty', word: '', part: 0 }],
    [{ mode: 'deny', words: [] }, 'op bob', { ok: true }],
    // A list entry stored un-normalised (hand-edited) still matches.
    [{ mode: 'deny', words: ['/OP'] }, 'op bob', { ok: false, reason: 'denied', word: 'op', part: 0 }],
  ] as const)('%j: %j', (policy, command, verdict) => {
    expect(evaluateCommand({ mode: policy.mode, words: [...policy.words] }, command)).toEqual(verdict);
  });
});

describe('describeRefusal', () => {
  it('names the word, the binding and how to change it', () => {
    expect(describeRefusal({ ok: false, reason: 'denied', word: 'op', part: 0 }, 'Survival')).toBe(
      "`op` is on Survival's deny list; an admin can change it with /server policy.",
    );
    expect(describeRefusal({ ok: false, reason: 'not_allowed', word: 'stop', part: 0 }, 'Survival')).toBe(
      "`stop` is not on Survival's allow list; an admin can change it with /server policy.",
    );
    expect(describeRefusal({ ok: false, reason: 'denied', word: 'op', part: 1 }, 'S')).toMatch(/follows a `;`/);
  });
  it('cannot break out of the inline code', () => {
    expect(describeRefusal({ ok: false, reason: 'denied', word: 'a`b', part: 0 }, 'S')).toMatch(/^`a'b`/);
  });
});

describe('list changes', () => {
  it.each([
    ['/Minecraft:OP', { ok: true, word: 'op' }],
    ['ｓａｙ', { ok: true, word: 'say' }],
    ['op bob', { ok: false }],
    ['a;b', { ok: false }],
    ['', { ok: false }],
    ['//', { ok: false }],
    ['x'.repeat(65), { ok: false }],
    ['o\u200bp', { ok: false }],
  ])('parsePolicyWord(%j)', (input, expected) => {
    expect(parsePolicyWord(input)).toMatchObject(expected);
  });

  it('adds and removes normalised words, reporting no-ops', () => {
    const added = addPolicyWord(deny, '/Stop');
    expect(added).toMatchObject({ ok: true, changed: true, policy: { words: ['op', 'deop', 'execute', 'stop'] } });
    expect(addPolicyWord(deny, 'OP')).toMatchObject({ ok: true, changed: false });
    const removed = removePolicyWord(deny, 'minecraft:execute');
    expect(removed).toMatchObject({ ok: true, changed: true, policy: { words: ['op', 'deop'] } });
    expect(removePolicyWord(deny, 'nope')).toMatchObject({ ok: true, changed: false });
    expect(deny.words).toEqual(['op', 'deop', 'execute']); // inputs are not mutated
  });

  it('refuses to grow past the word limit', () => {
    const full: CommandPolicy = { mode: 'deny', words: Array.from({ length: 100 }, (_, i) => `w${i}`) };
    expect(addPolicyWord(full, 'another')).toMatchObject({ ok: false, error: expect.stringMatching(/full/) });
  });
});
