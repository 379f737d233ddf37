import { describe, expect, it } from 'vitest';
import {
  daemonText,
  formatCount,
  formatSize,
  isDaemonLine,
  isThrottleNotice,
  neutraliseFences,
  toPlainText,
} from '../src/feed/index.ts';

const E = '\x1b';
const Z = '\u200b';
const daemon = (text: string, app = 'Pterodactyl') => `${E}[33m${E}[1m[${app} Daemon]:${E}[39m ${text}${E}[0m`;

describe('neutraliseFences', () => {
  it.each([
    ['no backticks', 'plain text', 'plain text'],
    ['single backtick kept', 'use `cmd` here', 'use `cmd` here'],
    ['double backtick broken', 'a``b', `a\`${Z}\`b`],
    ['triple fence broken', '```ansi', `\`${Z}\`${Z}\`ansi`],
    ['line of only backticks', '``````', `\`${Z}\`${Z}\`${Z}\`${Z}\`${Z}\``],
    ['line ending in backticks', 'end``', `end\`${Z}\``],
    ['@everyone and @here defused', '@everyone @here', `@${Z}everyone @${Z}here`],
    ['user and role mentions defused', '<@123> <@&456>', `<@${Z}123> <@${Z}&456>`],
    ['e-mail addresses untouched', 'admin@example.com', 'admin@example.com'],
  ])('%s', (_name, input, expected) => {
    expect(neutraliseFences(input)).toBe(expected);
  });
});

describe('toPlainText (attachments)', () => {
  it.each([
    ['plain line returned as is', 'hello', 'hello'],
    ['colours removed', `${E}[32m[12:00:00] [Server thread/INFO]${E}[m: Done`, '[12:00:00] [Server thread/INFO]: Done'],
    ['CR LF inside an arg becomes LF, lone CR removed', 'a \r\nb\rc', 'a \nbc'],
    ['tabs kept, other C0, DEL and C1 removed', 'a\tb\x07c\x00d\x7fe\x85f', 'a\tbcdef'],
    ['OSC title and cursor moves removed', `${E}]0;title\x07${E}[2K${E}[1Gline`, 'line'],
    [
      'daemon line readable',
      daemon('Finished pulling Docker container image'),
      '[Pterodactyl Daemon]: Finished pulling Docker container image',
    ],
    ['backticks not escaped in files', '```', '```'],
  ])('%s', (_name, input, expected) => {
    expect(toPlainText(input)).toBe(expected);
  });
});

describe('Wings daemon lines', () => {
  it.each([
    ['Pterodactyl daemon line', daemon('Updating process configuration files...'), true],
    ['Pelican daemon line', daemon('Updating process configuration files...', 'pelican'), true],
    ['plain bracket prefix', '[Pterodactyl Daemon]: text', true],
    ['game line', '[12:00:00] [Server thread/INFO]: Done', false],
    ['game line mentioning the daemon late', `[12:00:00] [Server thread/INFO]: ${'x'.repeat(80)} Daemon]: x`, false],
    ['empty', '', false],
  ])('isDaemonLine – %s', (_name, line, expected) => {
    expect(isDaemonLine(line)).toBe(expected);
  });

  it('daemonText returns the message of a daemon line', () => {
    expect(daemonText(daemon('Exit code: 137'))).toBe('Exit code: 137');
    expect(daemonText('[12:00:00] hello')).toBeUndefined();
  });

  it.each([
    ['Wings throttle notice', daemon('Server is outputting console data too quickly -- throttling...'), true],
    [
      'Pelican throttle notice',
      daemon('Server is outputting console data too quickly -- throttling...', 'pelican'),
      true,
    ],
    ['a player typing the text', '<Steve> Server is outputting console data too quickly -- throttling...', false],
    ['other daemon line', daemon('Exit code: 1'), false],
  ])('isThrottleNotice – %s', (_name, line, expected) => {
    expect(isThrottleNotice(line)).toBe(expected);
  });
});

describe('formatting', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [4812, '4,812'],
    [1234567, '1,234,567'],
  ])('formatCount(%i) = %s', (n, expected) => {
    expect(formatCount(n)).toBe(expected);
  });

  it.each([
    [950, '950 B'],
    [319_488, '312 KB'],
    [1024 * 1024, '1.0 MB'],
    [10 * 1024 * 1024, '10.0 MB'],
  ])('formatSize(%i) = %s', (n, expected) => {
    expect(formatSize(n)).toBe(expected);
  });
});
