import { describe, expect, it } from 'vitest';
import { matchReplay, newLinesAfterReplay, RecentLines } from '../src/feed/index.ts';

const E = '\x1b';
const daemon = (text: string) => `${E}[33m${E}[1m[Pterodactyl Daemon]:${E}[39m ${text}${E}[0m`;
const seq = (from: number, to: number, prefix = 'L') =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

describe('newLinesAfterReplay', () => {
  it.each<[string, string[], string[], string[]]>([
    ['no tail (first connect): everything is new', [], ['a', 'b'], ['a', 'b']],
    ['empty replay', ['a', 'b'], [], []],
    ['replay entirely contained at the end of the tail', seq(0, 200), seq(50, 200), []],
    ['replay overlaps the tail and continues', seq(0, 200), seq(120, 210), seq(200, 210)],
    ['tail shorter than the replay, found inside it', seq(95, 100), seq(0, 150), seq(100, 150)],
    ['no overlap at all (long gap)', seq(0, 10, 'old'), seq(0, 5, 'new'), seq(0, 5, 'new')],
    ['repeated identical lines: only the extra ones are new', ['a', 'x', 'x'], ['a', 'x', 'x', 'x', 'b'], ['x', 'b']],
    ['repeated lines at the tail end', ['y', 'x', 'x'], ['x', 'x', 'x'], ['x']],
    ['all identical, replay no longer than the overlap', ['x', 'x', 'x'], ['x', 'x'], []],
    ['empty lines in the replay are ignored when matching', ['a', 'b', 'c'], ['a', '', 'b', '', 'c', '', 'd'], ['d']],
    [
      'empty lines between new lines are kept, leading/trailing trimmed',
      ['a'],
      ['a', '', 'b', '', 'c', ''],
      ['b', '', 'c'],
    ],
    ['trailing whitespace and CR differences ignored', ['a ', 'b\r'], ['a', 'b  ', 'c'], ['c']],
    ['colour differences ignored', [`${E}[32ma${E}[0m`], ['a', 'b'], ['b']],
    [
      'daemon lines in the tail (never in the log) are skipped',
      ['a', daemon('Exit code: 0'), 'b'],
      ['a', 'b', 'c'],
      ['c'],
    ],
    ['a line equal to the tail end but earlier in the replay', ['k', 'z'], ['z', 'k', 'z', 'n'], ['n']],
  ])('%s', (_name, tail, replay, expected) => {
    expect(newLinesAfterReplay(tail, replay)).toEqual(expected);
  });

  it('reports the overlap size so a possible gap can be announced', () => {
    expect(matchReplay(seq(0, 10), seq(5, 20)).overlap).toBe(5);
    expect(matchReplay(seq(0, 10, 'x'), seq(0, 3)).overlap).toBe(0);
  });

  it('handles a full 200 × 150 tail and replay of identical lines', () => {
    const tail = Array.from({ length: 200 }, () => 'same');
    const replay = [...Array.from({ length: 149 }, () => 'same'), 'other'];
    expect(newLinesAfterReplay(tail, replay)).toEqual(['other']);
  });
});

describe('RecentLines', () => {
  it('keeps the last N lines, oldest first', () => {
    const recent = new RecentLines(3);
    expect(recent.lines()).toEqual([]);
    for (const l of ['a', 'b']) recent.push(l);
    expect(recent.lines()).toEqual(['a', 'b']);
    for (const l of ['c', 'd', 'e']) recent.push(l);
    expect(recent.lines()).toEqual(['c', 'd', 'e']);
  });
});

describe('live lines that overtook the replay', () => {
  const seq2 = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `L${from + i}`);
  it('are kept, not lost before the alignment point (found by the chaos run)', () => {
    // The feed posted L0–L199; L200 and L201 arrive live ahead of the replay of L50–L199.
    const tail = seq2(0, 200);
    const collected = ['L200', 'L201', ...seq2(50, 200)];
    expect(newLinesAfterReplay(tail, collected)).toEqual(['L200', 'L201']);
  });
  it('but history from before a short tail is not posted', () => {
    expect(newLinesAfterReplay(seq2(95, 100), seq2(0, 150))).toEqual(seq2(100, 150));
  });
});
