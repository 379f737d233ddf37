import { describe, expect, it } from 'vitest';
import { renderAuditBlock, renderAuditLine } from '../commands/audit.ts';
import type { AuditEntry } from '../src/store/index.ts';

const base: AuditEntry = {
  at: '2025-01-02T03:04:05.678Z',
  actorId: '111',
  actorName: 'alice',
  source: 'command',
  action: 'command',
  command: 'say hi',
  result: 'sent',
};

describe('renderAuditLine', () => {
  it.each([
    [base, '2025-01-02 03:04:05Z · alice (111) · /cmd say hi · sent'],
    [
      { ...base, result: 'refused_policy', detail: "`op` is on S's deny list" },
      "2025-01-02 03:04:05Z · alice (111) · /cmd say hi · refused by policy: `op` is on S's deny list",
    ],
    [
      { ...base, action: 'restart', source: 'button', command: undefined, finalState: 'running' },
      '2025-01-02 03:04:05Z · alice (111) · restart (panel) · sent → running',
    ],
    [
      {
        ...base,
        action: 'stop',
        command: undefined,
        result: 'failed',
        detail: 'Wings refused: busy',
        finalState: 'running',
      },
      '2025-01-02 03:04:05Z · alice (111) · stop · failed: Wings refused: busy → running',
    ],
    [
      { ...base, result: 'refused_permission', detail: 'not a moderator' },
      '2025-01-02 03:04:05Z · alice (111) · /cmd say hi · refused: no permission: not a moderator',
    ],
  ] as Array<[AuditEntry, string]>)('%#', (entry, line) => {
    expect(renderAuditLine(entry)).toBe(line);
  });

  it('cannot close the code block, ping, or break the line', () => {
    const line = renderAuditLine({ ...base, actorName: '```@everyone\nx', command: 'say ```<@&1> @here' });
    expect(line).not.toContain('```');
    expect(line).not.toContain('@everyone');
    expect(line).not.toContain('@here');
    expect(line).not.toContain('<@&');
    expect(line).not.toContain('\n');
  });

  it('bounds one line', () => {
    expect(renderAuditLine({ ...base, command: 'x'.repeat(5000) }).length).toBeLessThanOrEqual(300);
  });
});

describe('renderAuditBlock', () => {
  it('keeps the newest entries that fit and says how many older ones are left out', () => {
    const entries = Array.from({ length: 60 }, (_, i) => ({ ...base, command: `say ${'n'.repeat(100)} ${i}` }));
    const block = renderAuditBlock(entries, 3900);
    expect(block.length).toBeLessThanOrEqual(4096);
    expect(block.startsWith('```\n')).toBe(true);
    const shown = block.split('\n').filter((l) => l.includes(' · '));
    expect(shown[0]).toContain(' 0 · sent');
    expect(block).toMatch(new RegExp(`\\n… ${60 - shown.length} older entries not shown$`));
  });
});
