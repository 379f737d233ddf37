/** Replies never exceed Discord's 2000 characters: a long text is cut with "…" and an open code block is closed again. */
import type { InteractionReplyOptions, RepliableInteraction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { capContent, MAX_CONTENT_LENGTH, Responder } from '../src/discord/responder.ts';

const fences = (text: string) => text.split('```').length - 1;

describe('capContent', () => {
  it.each([
    ['short text', 'hello', 'hello'],
    ['exactly the limit', 'a'.repeat(2000), 'a'.repeat(2000)],
  ])('leaves %s alone', (_what, input, expected) => {
    expect(capContent(input)).toBe(expected);
  });

  it.each([
    ['plain text', 'x'.repeat(5000)],
    ['text after a closed block', `\`\`\`\n${'a'.repeat(100)}\n\`\`\`\n${'b'.repeat(5000)}`],
    ['a cut inside a code block', `Error:\n\`\`\`ansi\n${'line\n'.repeat(1000)}\`\`\``],
    ['a cut right after an opening fence', `${'p'.repeat(1995)}\`\`\`js\n${'c'.repeat(100)}\n\`\`\``],
    ['a cut inside a fence', `${'p'.repeat(1998)}\`\`\`${'c'.repeat(100)}`],
    ['a cut inside a surrogate pair', `${'p'.repeat(1998)}${'😀'.repeat(50)}`],
  ])('cuts %s to at most 2000 characters with an ellipsis and balanced fences', (_what, input) => {
    const out = capContent(input);
    expect(out.length).toBeLessThanOrEqual(MAX_CONTENT_LENGTH);
    expect(out).toContain('…');
    expect(fences(out) % 2).toBe(0);
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(input.startsWith(out.split('…')[0]!)).toBe(true);
  });

  it('closes the block it cut into on a line of its own', () => {
    const out = capContent(`\`\`\`\n${'line\n'.repeat(1000)}`);
    expect(out.endsWith('…\n```')).toBe(true);
  });
});

/** The smallest interaction the Responder drives: records what it was asked to send. */
function fakeInteraction() {
  const sent: Array<{ how: string; body: InteractionReplyOptions }> = [];
  const record = (how: string) => async (body: InteractionReplyOptions) => {
    sent.push({ how, body });
  };
  const interaction = {
    createdTimestamp: Date.now(),
    reply: record('reply'),
    editReply: record('editReply'),
    followUp: record('followUp'),
    deferReply: record('deferReply'),
    update: record('update'),
    isMessageComponent: () => false,
  };
  return { interaction: interaction as unknown as RepliableInteraction, sent };
}

describe('Responder', () => {
  it.each([
    ['send', (r: Responder, text: string) => r.send(text)],
    ['send with a payload', (r: Responder, text: string) => r.send({ content: text })],
    ['sendError', (r: Responder, text: string) => r.sendError(text)],
    ['followUp', (r: Responder, text: string) => r.followUp(text)],
  ])('%s caps an overlong text instead of failing the reply', async (_how, call) => {
    const { interaction, sent } = fakeInteraction();
    const respond = new Responder(interaction);
    await call(respond, `The panel refused the request: ${'detail '.repeat(600)}`);
    expect(sent).toHaveLength(1);
    const content = sent[0]!.body.content ?? '';
    expect(content.length).toBeLessThanOrEqual(2000);
    expect(content.startsWith('The panel refused the request: detail')).toBe(true);
    expect(content.endsWith('…')).toBe(true);
    expect(sent[0]!.body.allowedMentions).toEqual({ parse: [] });
  });
});
