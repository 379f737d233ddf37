/**
 * The router's automatic defer: a command declares whether its placeholder is public (/stats answers everyone), a slow
 * component handler gets an ephemeral one instead of "interaction failed", and later updates/sends edit that
 * placeholder. Interactions are created 2.4 s "ago", so the defer (due 2.5 s after creation at the latest) comes at once.
 */
import { Writable } from 'node:stream';
import { type Interaction, MessageFlags } from 'discord.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BotServices, CommandContext, CommandModule } from '../src/discord/command.ts';
import { CommandLoadError, validateCommandModule } from '../src/discord/loader.ts';
import { InteractionRouter } from '../src/discord/router.ts';

interface Call {
  how: string;
  body?: { content?: string; flags?: number };
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function fakeInteraction(kind: 'command' | 'button', name: string) {
  const calls: Call[] = [];
  const record =
    (how: string) =>
    async (body?: Call['body']): Promise<void> => {
      calls.push(body === undefined ? { how } : { how, body });
    };
  const interaction = {
    id: '1',
    guildId: '2',
    user: { id: '3' },
    createdTimestamp: Date.now() - 2_400,
    commandName: name,
    customId: `${name}:x`,
    isAutocomplete: () => false,
    isRepliable: () => true,
    inCachedGuild: () => true,
    isChatInputCommand: () => kind === 'command',
    isMessageComponent: () => kind === 'button',
    deferReply: record('deferReply'),
    reply: record('reply'),
    editReply: record('editReply'),
    followUp: record('followUp'),
    deleteReply: record('deleteReply'),
    update: record('update'),
  };
  return { interaction: interaction as unknown as Interaction, calls };
}

/** A module whose handler waits until the router has deferred, then does `then`. */
function slowModule(
  name: string,
  then: (ctx: CommandContext) => Promise<void>,
  calls: () => Call[],
  extra: Partial<CommandModule> = {},
): CommandModule {
  const run = async (_i: unknown, ctx: CommandContext) => {
    await waitFor(() => calls().some((c) => c.how === 'deferReply'));
    await then(ctx);
  };
  return {
    data: { name, toJSON: () => ({ name, description: 'd' }) as never },
    execute: run,
    componentPrefix: name,
    handleComponent: run,
    ...extra,
  };
}

function router(mod: CommandModule): InteractionRouter {
  const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
  return new InteractionRouter(new Map([[mod.data.name, mod]]), { logger } as unknown as BotServices);
}

const ephemeral = (call: Call | undefined) => ((call?.body?.flags ?? 0) & MessageFlags.Ephemeral) !== 0;

describe('automatic defer', () => {
  it.each([
    ['a command that declares a public answer', { deferEphemeral: false }, false],
    ['a command that declares nothing', {}, true],
    ['a command that declares a private answer', { deferEphemeral: true }, true],
  ])('%s gets a placeholder of that visibility, which its answer edits', async (_what, extra, isEphemeral) => {
    const { interaction, calls } = fakeInteraction('command', 'stats');
    const mod = slowModule(
      'stats',
      (ctx) => ctx.respond.send('the answer', { ephemeral: false }),
      () => calls,
      extra,
    );
    await router(mod).handle(interaction);
    expect(calls.map((c) => c.how)).toEqual(['deferReply', 'editReply']);
    expect(ephemeral(calls[0])).toBe(isEphemeral);
    expect(calls[1]?.body?.content).toBe('the answer');
  });

  it.each([
    ['update', (ctx: CommandContext) => ctx.respond.update({ content: 'done', components: [] })],
    ['send', (ctx: CommandContext) => ctx.respond.send('done')],
  ])('a slow button handler gets an ephemeral placeholder, which its %s edits', async (_how, then) => {
    const { interaction, calls } = fakeInteraction('button', 'panel');
    await router(slowModule('panel', then, () => calls)).handle(interaction);
    expect(calls.map((c) => c.how)).toEqual(['deferReply', 'editReply']);
    expect(ephemeral(calls[0])).toBe(true);
    expect(calls[1]?.body?.content).toBe('done');
  });

  it('a fast button handler answers by updating the message, with no placeholder', async () => {
    const { interaction, calls } = fakeInteraction('button', 'panel');
    const mod = slowModule(
      'panel',
      async () => undefined,
      () => calls,
    );
    mod.handleComponent = async (_i, ctx) => ctx.respond.update({ content: 'done', components: [] });
    await router(mod).handle(interaction);
    expect(calls.map((c) => c.how)).toEqual(['update']);
  });

  it('an error after a public placeholder becomes its answer (a defer cannot change visibility)', async () => {
    const { interaction, calls } = fakeInteraction('command', 'stats');
    const mod = slowModule(
      'stats',
      async () => {
        throw Object.assign(new Error('x'), { userMessage: 'Survival is not connected.' });
      },
      () => calls,
      { deferEphemeral: false },
    );
    await router(mod).handle(interaction);
    expect(calls.map((c) => c.how)).toEqual(['deferReply', 'editReply']);
    expect(calls[1]?.body?.content).toBe('Survival is not connected.');
  });
});

describe('loader', () => {
  it('refuses a non-boolean deferEphemeral', () => {
    const mod = {
      data: { name: 'x', toJSON: () => ({ name: 'x', description: 'd' }) },
      execute: async () => undefined,
    };
    expect(() => validateCommandModule('x.ts', { ...mod, deferEphemeral: 'no' })).toThrow(CommandLoadError);
    expect(validateCommandModule('x.ts', { ...mod, deferEphemeral: false }).deferEphemeral).toBe(false);
  });
});
