import { describe, expect, it } from 'vitest';
import {
  AnsiMapper,
  applySgr,
  nearestBasicColour,
  stripAnsi,
  transition,
  XTERM256_TO_BASIC,
} from '../src/feed/index.ts';

const E = '\x1b';

/** Renders lines through one mapper (colour carries across lines) and returns each line's text plus the final reset. */
function map(lines: string[], ansi = true): string[] {
  const mapper = new AnsiMapper({ ansi });
  return [...lines.map((l) => mapper.line(l)), mapper.end()];
}

describe('ANSI mapping to Discord', () => {
  it.each([
    ['plain text untouched', ['hello world'], ['hello world', '']],
    [
      'Forge/log4j green prefix with ESC[m reset',
      [`${E}[32m[12:00:00] [Server thread/INFO]${E}[m: Done (3.2s)!`],
      [`${E}[32m[12:00:00] [Server thread/INFO]${E}[0m: Done (3.2s)!`, ''],
    ],
    [
      'Paper ESC[0;36;1m → bold cyan in Discord order',
      [`${E}[0;36;1mPaper${E}[0m version`],
      [`${E}[1;36mPaper${E}[0m version`, ''],
    ],
    [
      'Paper truecolour §c red, §a green, §6 gold, §9 blue',
      [`${E}[38;2;255;85;85mred ${E}[38;2;85;255;85mgreen ${E}[38;2;255;170;0mgold ${E}[38;2;85;85;255mblue${E}[0m`],
      [`${E}[31mred ${E}[32mgreen ${E}[33mgold ${E}[34mblue`, `${E}[0m`],
    ],
    [
      'truecolour grey and white, background truecolour; a trailing reset moves to the end of the message',
      [`${E}[38;2;170;170;170mgrey${E}[38;2;255;255;255m white${E}[48;2;205;0;0m on red${E}[m`],
      [`${E}[30mgrey${E}[37m white${E}[41m on red`, `${E}[0m`],
    ],
    [
      'colon form truecolour (with and without colour space)',
      [`${E}[38:2::0:205:0mA${E}[38:2:0:0:238mB`],
      [`${E}[32mA${E}[34mB`, `${E}[0m`],
    ],
    [
      'bright colours fold to base',
      [`${E}[91mred${E}[92mgreen${E}[90mgrey${E}[97mwhite${E}[103mbg${E}[0m`],
      [`${E}[31mred${E}[32mgreen${E}[30mgrey${E}[37mwhite${E}[43mbg`, `${E}[0m`],
    ],
    [
      '256-colour: system, cube and greyscale',
      [`${E}[38;5;9mA${E}[38;5;46mB${E}[38;5;21mC${E}[38;5;244mD${E}[38;5;255mE${E}[48;5;201mF`],
      [`${E}[31mA${E}[32mB${E}[34mC${E}[30mD${E}[37mE${E}[45mF`, `${E}[0m`],
    ],
    ['redundant codes dropped', [`${E}[32m${E}[32mx${E}[32my${E}[0m${E}[0m z`], [`${E}[32mxy${E}[0m z`, '']],
    ['codes with no text after them cost nothing', [`${E}[31m${E}[1m${E}[0mplain`], ['plain', '']],
    ['last code before text wins', [`${E}[31m${E}[33m${E}[34mblue${E}[0m`], [`${E}[34mblue`, `${E}[0m`]],
    [
      '39 (default fg) = reset + re-apply bold and background',
      [`${E}[1;31;44mA${E}[39mB`],
      [`${E}[1;31;44mA${E}[0;1;44mB`, `${E}[0m`],
    ],
    ['49 (default bg) keeps fg', [`${E}[32;45mA${E}[49mB`], [`${E}[32;45mA${E}[0;32mB`, `${E}[0m`]],
    ['22 / 24 turn bold / underline off', [`${E}[1;4mA${E}[22mB${E}[24mC`], [`${E}[1;4mA${E}[0;4mB${E}[0mC`, '']],
    ['italic, blink, reverse ignored', [`${E}[3mit${E}[5;7m x${E}[23m`], ['it x', '']],
    [
      'cursor, erase and private modes removed',
      [`${E}[2K${E}[1A${E}[10;20H${E}[?25l> ${E}[?25hprompt${E}[0K`],
      ['> prompt', ''],
    ],
    ['OSC title (BEL) removed', [`${E}]0;Minecraft Server\x07Starting`], ['Starting', '']],
    ['OSC with ST and charset select removed', [`${E}]2;t${E}\\a${E}(Bb${E}7c${E}8`], ['abc', '']],
    ['unterminated CSI at end of line', [`text${E}[38;2;25`], ['text', '']],
    ['unterminated OSC swallows the rest', [`text${E}]0;title`], ['text', '']],
    ['lone ESC at end', [`text${E}`], ['text', '']],
    ['8-bit CSI', ['\x9b31mred\x9b0m'], [`${E}[31mred`, `${E}[0m`]],
    ['malformed 38 without values ignored', [`${E}[38;5m${E}[38;2;1;2mtext`], ['text', '']],
    [
      'colour carries across lines (terminal semantics)',
      [`${E}[33mfirst`, 'second', `third${E}[0m`],
      [`${E}[33mfirst`, 'second', 'third', `${E}[0m`],
    ],
    [
      'Wings daemon line kept and recognisable',
      [`${E}[33m${E}[1m[Pterodactyl Daemon]:${E}[39m Checking server disk space usage${E}[0m`],
      [`${E}[1;33m[Pterodactyl Daemon]:${E}[0;1m Checking server disk space usage`, `${E}[0m`],
    ],
  ])('%s', (_name, lines, expected) => {
    expect(map(lines)).toEqual(expected);
  });

  it.each([
    ['colours stripped', [`${E}[38;2;255;85;85mred${E}[0m ${E}[1mbold`], ['red bold', '']],
    ['OSC and cursor stripped', [`${E}]0;t\x07${E}[2Ka${E}[3`], ['a', '']],
    [
      'daemon line readable',
      [`${E}[33m${E}[1m[pelican Daemon]:${E}[39m Finished pulling${E}[0m`],
      ['[pelican Daemon]: Finished pulling', ''],
    ],
  ])('ansi: false – %s', (_name, lines, expected) => {
    expect(map(lines, false)).toEqual(expected);
  });
});

describe('colour tables', () => {
  it.each([
    [0, 0, 0, 0],
    [255, 255, 255, 7],
    [255, 85, 85, 1],
    [85, 255, 85, 2],
    [255, 170, 0, 3],
    [85, 85, 255, 4],
    [170, 0, 170, 5],
    [0, 170, 170, 6],
    [85, 85, 85, 0],
    [128, 0, 128, 5],
    [0, 0, 128, 4],
  ])('nearestBasicColour(%i, %i, %i) = %i', (r, g, b, expected) => {
    expect(nearestBasicColour(r, g, b)).toBe(expected);
  });

  it('256-colour table folds the 16 system colours and maps the cube', () => {
    expect(XTERM256_TO_BASIC.slice(0, 16)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
    expect([XTERM256_TO_BASIC[196], XTERM256_TO_BASIC[226], XTERM256_TO_BASIC[51], XTERM256_TO_BASIC[232]]).toEqual([
      1, 3, 6, 0,
    ]);
  });

  it('applySgr ignores sequences with private or intermediate bytes', () => {
    const s = '?25;31';
    expect(applySgr(0, s, 0, s.length)).toBe(0);
  });

  it.each([
    [0, 0, ''],
    [0x100, 0, `${E}[0m`],
    // state: bits 0–3 fg (colour + 1), bit 8 bold
    [0, 0x100 | 3, `${E}[1;32m`],
    [0x100 | 3, 0x100 | 4, `${E}[33m`],
    [0x100 | 3, 3, `${E}[0;32m`],
  ])('transition(%i → %i)', (from, to, expected) => {
    expect(transition(from, to)).toBe(expected);
  });

  it.each([
    ['no escapes', 'plain', 'plain'],
    ['SGR and OSC', `${E}[1;31mA${E}]0;x\x07B${E}[0m`, 'AB'],
    ['keeps control characters other than escapes', `a\tb\r\n${E}[2Kc`, 'a\tb\r\nc'],
  ])('stripAnsi – %s', (_name, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });
});
