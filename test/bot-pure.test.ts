import { PermissionFlagsBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { validateConsoleCommand } from '../src/bridge/console-command.ts';
import { checkPowerPrecondition, describeDaemonError, renderPowerProgress } from '../src/bridge/power.ts';
import { validateApiKeyShape, validateBindingName, validateServerId } from '../src/discord/binding-setup.ts';
import { renderConsoleExcerpt } from '../src/discord/console-excerpt.ts';
import { formatBytes, formatCpu, formatDuration, formatMemory, inert } from '../src/discord/format.ts';
import { CommandLoadError, validateCommandModule } from '../src/discord/loader.ts';
import { enabledActions, panelCustomId, parsePanelCustomId } from '../src/discord/panel-view.ts';
import { canManageBindings, isModerator } from '../src/discord/permissions.ts';

const P = PermissionFlagsBits;

describe('permission rules', () => {
  const binding = { moderatorRoleId: '111' };
  it.each([
    ['administrator', P.Administrator, [], true, true],
    ['manage server', P.ManageGuild, [], true, true],
    ['moderator role only', P.SendMessages, ['111'], false, true],
    ['other role', P.SendMessages, ['222'], false, false],
    ['nothing', 0n, [], false, false],
    ['manage channels is not enough', P.ManageChannels, [], false, false],
  ] as const)('%s', (_name, permissions, roleIds, manage, moderate) => {
    expect(canManageBindings({ permissions, roleIds })).toBe(manage);
    expect(isModerator({ permissions, roleIds }, binding)).toBe(moderate);
  });
  it('a binding without a moderator role admits only managers', () => {
    expect(isModerator({ permissions: 0n, roleIds: ['111'] }, {})).toBe(false);
  });
});

describe('console command validation', () => {
  it.each([
    ['say hi', 'say hi'],
    ['  list  ', 'list'],
    ['say ünïcödé ✓', 'say ünïcödé ✓'],
  ])('accepts %j', (input, expected) => expect(validateConsoleCommand(input)).toBe(expected));
  it.each([
    ['', 'The command is empty.'],
    ['say a\nop me', 'The command contains a line break; send one command at a time.'],
    ['say a\rop me', 'The command contains a line break; send one command at a time.'],
    ['say a\u2028b', 'The command contains a line break; send one command at a time.'],
    ['say \u0007bell', 'The command contains control characters; remove them and try again.'],
    ['say \u001b[31mred', 'The command contains control characters; remove them and try again.'],
    ['say \u202eevil', 'The command contains invisible or text-direction characters; type it plainly and try again.'],
    ['o\u200bp me', 'The command contains invisible or text-direction characters; type it plainly and try again.'],
    ['x'.repeat(1001), 'The command is 1001 characters long; the limit is 1000.'],
    ['x'.repeat(6000), 'The command is 6000 characters long; the limit is 1000.'],
  ])('refuses %j', (input, message) => expect(() => validateConsoleCommand(input)).toThrow(message));
});

describe('power rules and rendering', () => {
  it.each([
    ['start', 'running', 'Survival is already running; nothing to start.'],
    ['start', 'starting', 'Survival is already starting; nothing to start.'],
    ['stop', 'offline', 'Survival is already offline.'],
    ['kill', 'offline', 'Survival is already offline.'],
    ['stop', 'stopping', 'Survival is already stopping; use /kill to end it at once.'],
  ] as const)('%s while %s is refused', (action, state, message) => {
    expect(() => checkPowerPrecondition('Survival', action, state)).toThrow(message);
  });
  it.each([
    ['start', 'offline'],
    ['restart', 'running'],
    ['kill', 'stopping'],
    ['restart', 'offline'],
  ] as const)('%s while %s is allowed', (action, state) => {
    expect(() => checkPowerPrecondition('Survival', action, state)).not.toThrow();
  });
  it('renders the trail of states', () => {
    expect(renderPowerProgress('Survival', 'start', { states: [], done: false })).toBe('**Survival**: starting…');
    expect(renderPowerProgress('Survival', 'start', { states: ['starting'], done: false })).toBe(
      '**Survival**: starting…',
    );
    expect(renderPowerProgress('Survival', 'start', { states: ['starting', 'running'], done: true })).toBe(
      '**Survival**: starting… running ✅',
    );
    expect(renderPowerProgress('Survival', 'stop', { states: [], done: false, error: 'Wings refused: busy' })).toBe(
      '**Survival**: stopping — Wings refused: busy',
    );
  });
  it('reads daemon errors', () => {
    expect(
      describeDaemonError(
        'Error Event [2a0c]: another power action is currently being processed for this server, please try again later',
      ),
    ).toBe('Wings refused: another power action is currently being processed for this server, please try again later');
    expect(
      describeDaemonError('Error Event [x]: an unexpected error was encountered while handling this request'),
    ).toMatch(/without details/);
  });
});

describe('binding input', () => {
  it.each([
    ['Survival', 'Survival'],
    ['  Creative  World ', 'Creative World'],
  ])('name %j', (input, expected) => expect(validateBindingName(input)).toBe(expected));
  it.each(['', 'a'.repeat(33), 'two\nlines', '@everyone', 'x`y'])('refuses name %j', (input) => {
    expect(() => validateBindingName(input)).toThrow(/1-32 characters/);
  });
  it.each([
    ['1A2B3C4D', '1a2b3c4d'],
    ['1a2b3c4d-0000-4000-8000-00000000abcd', '1a2b3c4d-0000-4000-8000-00000000abcd'],
  ])('server id %j', (input, expected) => expect(validateServerId(input)).toBe(expected));
  it.each(['1a2b', '../../etc', '1a2b3c4d/files', 'zzzzzzzz'])('refuses server id %j', (input) => {
    expect(() => validateServerId(input)).toThrow(/8-character identifier/);
  });
  it('tells an application key apart from a malformed one', () => {
    expect(() => validateApiKeyShape(`ptla_${'a'.repeat(43)}`)).toThrow(/application API key/);
    expect(() => validateApiKeyShape('hunter2')).toThrow(/does not look like a panel client API key/);
    const key = `ptlc_${'a'.repeat(43)}`;
    expect(validateApiKeyShape(` ${key} `)).toBe(key);
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1_572_864, '1.50 MiB'],
    [5 * 1024 ** 3, '5.00 GiB'],
    [-1, '—'],
  ])('bytes %d', (n, s) => expect(formatBytes(n)).toBe(s));
  it.each([
    [0, '—'],
    [12_345, '12 s'],
    [125_000, '2 min 5 s'],
    [7_500_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
  ])('duration %d', (n, s) => expect(formatDuration(n)).toBe(s));
  it('cpu with and without a limit', () => {
    expect(formatCpu(150.5, 0)).toBe('150.5 % of one core');
    expect(formatCpu(100, 200)).toBe('100.0 % of one core (50 % of its 200 % limit)');
  });
  it('memory with a limit', () => expect(formatMemory(512 * 1024 ** 2, 1024 ** 3)).toBe('512 MiB / 1.00 GiB (50 %)'));
  it('inert text neither pings nor formats', () => {
    expect(inert('@everyone **bold** <@&1>')).toBe('@\u200beveryone \\*\\*bold\\*\\* <@\u200b&1>');
  });
});

describe('console excerpt', () => {
  it('keeps the newest lines within the budget and cannot be escaped', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} \`\`\` @everyone`);
    const out = renderConsoleExcerpt(lines, 1000, false);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.startsWith('```\n… ')).toBe(true);
    expect(out.endsWith('line 199 `\u200b`\u200b` @\u200beveryone\n```')).toBe(true);
    expect(out.slice(3, -3)).not.toContain('```');
  });
  it('maps colour into an ansi block', () => {
    const out = renderConsoleExcerpt(['\u001b[38;2;255;0;0mred\u001b[0m'], 500, true);
    expect(out).toBe('```ansi\n\u001b[31mred\u001b[0m\n```');
  });
});

describe('command module validation', () => {
  const data = { name: 'ok', toJSON: () => ({ name: 'ok', description: 'fine' }) };
  it.each([
    [null, 'exports nothing usable'],
    [{ execute: async () => {} }, 'must export `data`'],
    [{ data }, 'must export an `execute'],
    [
      { data: { name: 'Bad', toJSON: () => ({ name: 'Bad', description: 'x' }) }, execute: async () => {} },
      'invalid command name',
    ],
    [{ data: { name: 'x', toJSON: () => ({ name: 'x', description: '' }) }, execute: async () => {} }, 'description'],
    [{ data, execute: async () => {}, componentPrefix: 'p' }, 'both `componentPrefix` and `handleComponent`'],
  ])('rejects a malformed module (%#)', (mod, message) => {
    expect(() => validateCommandModule('broken.ts', mod)).toThrow(CommandLoadError);
    expect(() => validateCommandModule('broken.ts', mod)).toThrow(message);
  });
});

describe('panel custom ids', () => {
  const id = '1a2b3c4d-0000-4000-8000-00000000abcd';
  it.each([
    [`pb:${id}:start`, { bindingId: id, action: 'start', step: 'ask' }],
    [`pb:${id}:kill:confirm`, { bindingId: id, action: 'kill', step: 'confirm' }],
    [`pb:${id}:stop:cancel`, { bindingId: id, action: 'stop', step: 'cancel' }],
  ])('reads %s', (customId, expected) => expect(parsePanelCustomId(customId)).toEqual(expected));
  it.each([
    `pb:${id}:delete`,
    `pb:${id}:kill:now`,
    'pb:../../etc:kill',
    `xx:${id}:kill`,
    `pb:${id}`,
    `pb:${id}:kill:confirm:extra`,
  ])('refuses %s', (customId) => expect(parsePanelCustomId(customId)).toBeUndefined());
  it('round-trips and stays within 100 characters', () => {
    for (const step of ['ask', 'confirm', 'cancel'] as const) {
      const customId = panelCustomId(id, 'restart', step);
      expect(customId.length).toBeLessThanOrEqual(100);
      expect(parsePanelCustomId(customId)).toEqual({ bindingId: id, action: 'restart', step });
    }
  });
  it('enables only the actions that make sense', () => {
    expect([...enabledActions('offline')]).toEqual(['start']);
    expect([...enabledActions('stopping')]).toEqual(['kill']);
    expect([...enabledActions('running')].sort()).toEqual(['kill', 'restart', 'stop']);
  });
});

describe('power progress shows names and Wings texts as text', () => {
  it('escapes markdown and mentions', () => {
    expect(
      renderPowerProgress('Sur*vi*val', 'start', {
        states: [],
        done: false,
        error: 'Wings refused: @everyone **now**',
      }),
    ).toBe('**Sur\\*vi\\*val**: starting — Wings refused: @\u200beveryone \\*\\*now\\*\\*');
  });
});
