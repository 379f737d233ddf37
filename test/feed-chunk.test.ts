import { describe, expect, it } from 'vitest';
import { applySgr, renderMessages, stripAnsi } from '../src/feed/index.ts';

const E = '\x1b';
const Z = '\u200b';
const open = '```ansi\n';
const close = '\n```';

/** Joins the messages' bodies back into lines: markers removed, continued lines re-joined, escapes stripped. */
function reassemble(messages: string[]): string[] {
  const lines: string[] = [];
  for (const m of messages) {
    const body = stripAnsi(m.slice(m.indexOf('\n') + 1, -close.length));
    const parts = body.split('\n');
    if (parts[0]!.startsWith('↪')) lines[lines.length - 1] += parts.shift()!.slice(1);
    lines.push(...parts);
    if (lines[lines.length - 1]!.endsWith('↩')) lines[lines.length - 1] = lines[lines.length - 1]!.slice(0, -1);
  }
  return lines;
}

/** The SGR state of each visible character (inputs here contain SGR sequences only). */
function charStates(s: string, state = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === E) {
      const m = s.indexOf('m', i);
      if (m < 0) break; // a sequence cut off at the end of the line renders nothing
      state = applySgr(state, s, i + 2, m);
      i = m + 1;
    } else {
      out.push(state);
      i++;
    }
  }
  return out;
}

function stateBefore(lines: string[], index: number): number {
  let state = 0;
  for (let i = 0; i < index; i++) {
    const s = lines[i]!;
    for (let j = s.indexOf(E); j >= 0; j = s.indexOf(E, j + 1)) state = applySgr(state, s, j + 2, s.indexOf('m', j));
  }
  return state;
}

describe('message size limits (fences counted)', () => {
  it.each([
    ['ansi: exactly 2000 characters is one message', 1988, true, [2000]],
    ['ansi: 2001 splits', 1989, true, [2000, 15]],
    ['plain: exactly 2000 characters is one message', 1992, false, [2000]],
    ['plain: 2001 splits', 1993, false, [2000, 11]],
  ])('%s', (_name, length, ansi, sizes) => {
    const messages = renderMessages(['a'.repeat(length)], { ansi });
    expect(messages.map((m) => m.length)).toEqual(sizes);
  });

  it('exact split of a 1989-character line', () => {
    expect(renderMessages(['a'.repeat(1989)])).toEqual([`${open}${'a'.repeat(1987)}↩${close}`, `${open}↪aa${close}`]);
  });

  it('whole lines are packed and never split when they fit a message of their own', () => {
    const line = 'x'.repeat(990);
    expect(renderMessages([line, line, line])).toEqual([`${open}${line}\n${line}${close}`, `${open}${line}${close}`]);
  });

  it('colour is reset at the end of a message and re-established at the start of the next', () => {
    const messages = renderMessages([`${E}[31m${'a'.repeat(1000)}`, 'b'.repeat(1000)]);
    expect(messages).toEqual([
      `${open}${E}[31m${'a'.repeat(1000)}${E}[0m${close}`,
      `${open}${E}[31m${'b'.repeat(1000)}${E}[0m${close}`,
    ]);
  });

  it('the closing reset is budgeted: ESC[1m + 1980 characters fits exactly, one more splits', () => {
    expect(renderMessages([`${E}[1m${'a'.repeat(1980)}`]).map((m) => m.length)).toEqual([2000]);
    expect(renderMessages([`${E}[1m${'a'.repeat(1981)}`])).toEqual([
      `${open}${E}[1m${'a'.repeat(1979)}↩${E}[0m${close}`,
      `${open}↪${E}[1maa${E}[0m${close}`,
    ]);
  });
});

describe('continuation of over-long lines', () => {
  it('5,000-character line', () => {
    const line = Array.from({ length: 500 }, (_, i) => `w${String(i).padStart(4, '0')}_abcd`).join('');
    expect(line.length).toBe(5000);
    const messages = renderMessages(['before', line, 'after']);
    expect(messages.map((m) => m.length)).toEqual([2000, 2000, 1053]);
    expect(messages[0]!.startsWith(`${open}before\nw0000`)).toBe(true);
    expect(messages[0]!.endsWith(`↩${close}`)).toBe(true);
    expect(messages[1]!.startsWith(`${open}↪`)).toBe(true);
    expect(messages[2]!.endsWith(`\nafter${close}`)).toBe(true);
    expect(reassemble(messages)).toEqual(['before', line, 'after']);
  });

  it('64 KiB coloured line: every part ≤ 2000, colours re-established, nothing lost', () => {
    const unit = `${E}[38;2;255;85;85mERR${E}[0m ${E}[32mok${E}[39m tail `;
    let line = '';
    while (line.length < 65536) line += unit;
    line = line.slice(0, 65536);
    const messages = renderMessages([line]);
    expect(messages.length).toBeGreaterThan(20);
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(2000);
      expect(m.startsWith(open)).toBe(true);
      expect(m.endsWith(close)).toBe(true);
    }
    for (const m of messages.slice(1)) expect(m.startsWith(`${open}↪`)).toBe(true);
    expect(reassemble(messages)).toEqual([stripAnsi(line)]);
    // Every character shows in the colour the console gave it, including right after each split.
    const rendered = messages.flatMap((m) => charStates(m.slice(open.length, -close.length).replace(/[↪↩]/g, '')));
    expect(rendered).toEqual(charStates(line));
  });

  it('colour state at each split point is re-established (per-character check, mixed colours)', () => {
    const lines = Array.from(
      { length: 40 },
      (_, i) => `${E}[${31 + (i % 7)}m${'c'.repeat(50 + i * 7)}${i % 3 ? `${E}[1m` : ''}`,
    );
    const messages = renderMessages(lines, { messageLimit: 300 });
    const rendered = messages.flatMap((m) => charStates(m.slice(open.length, -close.length).replace(/[↪↩\n]/g, '')));
    expect(rendered).toEqual(lines.flatMap((l, i) => charStates(l, stateBefore(lines, i))));
  });
});

describe('console text cannot break out of the block', () => {
  it.each([
    ['a fence inside a line', ['before ``` after'], `${open}before \`${Z}\`${Z}\` after${close}`],
    ['a line of only backticks', ['`````'], `${open}\`${Z}\`${Z}\`${Z}\`${Z}\`${close}`],
    ['a line ending in backticks next to the closing fence', ['end``'], `${open}end\`${Z}\`${close}`],
    ['a single trailing backtick', ['end`'], `${open}end\`${close}`],
    ['backticks across an escape', [`a\`${E}[2K\`\``], `${open}a\`${Z}\`${Z}\`${close}`],
    ['mentions', ['@everyone <@&123> @here'], `${open}@${Z}everyone <@${Z}&123> @${Z}here${close}`],
    ['embedded CR LF from Wings', ['first \r\nsecond'], `${open}first \nsecond${close}`],
    ['carriage return without newline removed, tab kept', ['10%\r20%\tok\x07'], `${open}10%20%\tok${close}`],
    ['empty lines kept', ['', 'x', ''], `${open}\nx\n${close}`],
    ['only empty lines still form a block', ['', ''], `${open}\n ${close}`],
  ])('%s', (_name, lines, expected) => {
    expect(renderMessages(lines)).toEqual([expected]);
  });

  it('no message ever contains a fence other than its own', () => {
    const lines = ['```', '``', '`', 'x```y', '````````````', `${E}[31m\`\`\``];
    for (let limit = 30; limit < 60; limit++) {
      for (const m of renderMessages(lines, { messageLimit: limit })) {
        expect(m.length).toBeLessThanOrEqual(limit);
        expect(m.slice(3, -3)).not.toContain('``');
      }
    }
  });

  it('ansi: false uses a plain block with all escapes stripped', () => {
    expect(
      renderMessages([`${E}[33m${E}[1m[Pterodactyl Daemon]:${E}[39m Exit code: 1${E}[0m`], { ansi: false }),
    ).toEqual(['```\n[Pterodactyl Daemon]: Exit code: 1\n```']);
  });

  it('daemon line kept and recognisable', () => {
    expect(renderMessages([`${E}[33m${E}[1m[Pterodactyl Daemon]:${E}[39m Exit code: 1${E}[0m`])).toEqual([
      `${open}${E}[1;33m[Pterodactyl Daemon]:${E}[0;1m Exit code: 1${E}[0m${close}`,
    ]);
  });
});
