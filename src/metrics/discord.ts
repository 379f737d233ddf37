/**
 * Discord-side metrics: REST responses and 429s from discord.js's own REST events, and slash command results by
 * wrapping each command module's `execute` (the router looks modules up in the shared map on every interaction).
 */
import type { REST } from 'discord.js';
import type { CommandModule } from '../discord/command.ts';
import { userMessageOf } from '../discord/errors.ts';
import type { BotMetrics, CommandResult } from './registry.ts';

const RATE_LIMIT_SCOPES = new Set(['user', 'global', 'shared']);

/** Counts every REST response by method and status, and 429s by scope. Returns a detach function. */
export function observeRest(rest: REST, metrics: BotMetrics): () => void {
  const onResponse = (request: { method: string }, response: { status: number; headers: Headers }) => {
    metrics.discordRequests.inc({ method: request.method.toUpperCase(), status: String(response.status) });
    if (response.status === 429) {
      const scope = response.headers.get('x-ratelimit-scope') ?? '';
      metrics.discordRateLimited.inc({ scope: RATE_LIMIT_SCOPES.has(scope) ? scope : 'unknown' });
    }
  };
  const onRateLimited = (info: { global: boolean; scope: string }) => {
    const scope = info.global ? 'global' : RATE_LIMIT_SCOPES.has(info.scope) ? info.scope : 'unknown';
    metrics.discordRateLimitWaits.inc({ scope });
  };
  rest.on('response', onResponse);
  rest.on('rateLimited', onRateLimited);
  return () => {
    rest.off('response', onResponse);
    rest.off('rateLimited', onRateLimited);
  };
}

const instrumented = new WeakSet<CommandModule>();

/** An error with a user-facing sentence is a refusal (bad input, missing permission); anything else is an error. */
export function commandResult(error: unknown): CommandResult {
  return userMessageOf(error) ? 'refused' : 'error';
}

/** Replaces each module in the map with one whose `execute` counts its result. Idempotent. */
export function instrumentCommands(commands: Map<string, CommandModule>, metrics: BotMetrics): void {
  for (const [name, mod] of commands) {
    if (instrumented.has(mod)) continue;
    const original = mod.execute;
    const wrapped: CommandModule = {
      ...mod,
      async execute(interaction, ctx) {
        try {
          await original.call(mod, interaction, ctx);
        } catch (error) {
          metrics.commands.inc({ command: name, result: commandResult(error) });
          throw error;
        }
        metrics.commands.inc({ command: name, result: 'ok' });
      },
    };
    instrumented.add(wrapped);
    commands.set(name, wrapped);
  }
}
