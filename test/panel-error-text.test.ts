/**
 * What a panel says in its error body ends up in a Discord reply: bounded (a reply over 2000 characters fails) and
 * inert (no markdown, links or mentions from the panel's text).
 */
import { describe, expect, it } from 'vitest';
import { type CallContext, errorFromResponse, MAX_PANEL_TEXT, panelText } from '../src/panel/errors.ts';

const ctx: CallContext = { host: 'panel.example.com', method: 'POST', path: '/api/client/servers/abcd1234/command' };
const HOSTILE = '**Pwned** [click](https://evil.example) @everyone <@123> `x` # heading\n> quote ||spoiler||';

function body(count: number, detail: string): string {
  return JSON.stringify({ errors: Array.from({ length: count }, () => ({ code: 'ValidationException', detail })) });
}

describe('panel error texts', () => {
  it.each([
    ['validation (422)', 422],
    ['validation (400)', 400],
    ['another refusal (418)', 418],
  ])('%s: many long entries stay bounded', (_what, status) => {
    const error = errorFromResponse(ctx, status, body(20, 'x'.repeat(500)));
    expect(error.detail?.length).toBeLessThanOrEqual(MAX_PANEL_TEXT);
    expect(error.userMessage.length).toBeLessThan(MAX_PANEL_TEXT + 120);
    expect(error.userMessage).toContain('…');
  });

  it.each([422, 418])('HTTP %i: the panel’s text is shown inert', (status) => {
    const { userMessage } = errorFromResponse(ctx, status, body(1, HOSTILE));
    expect(userMessage).not.toMatch(/(?<!\\)\*\*Pwned/);
    expect(userMessage).not.toMatch(/(?<!\\)\[click(?<!\\)\]/);
    expect(userMessage).not.toContain('@everyone');
    expect(userMessage).not.toContain('<@123>');
    expect(userMessage).not.toContain('\n');
    expect(userMessage).toContain('Pwned');
  });

  it('panelText escapes markdown, breaks mentions, flattens lines and caps', () => {
    expect(panelText('a*b_c`d|e~f[g]h<i>#j\\k\nl@m')).toBe('a\\*b\\_c\\`d\\|e\\~f\\[g\\]h\\<i\\>\\#j\\\\k l@\u200bm');
    expect(panelText('y'.repeat(1000))).toHaveLength(MAX_PANEL_TEXT);
  });

  it('the conflict reason is still read from the detail', () => {
    const error = errorFromResponse(
      { ...ctx, serverId: 'abcd1234' },
      409,
      body(1, 'This server is currently suspended and the functionality requested is unavailable.'),
    );
    expect(error.conflict).toBe('suspended');
  });
});
