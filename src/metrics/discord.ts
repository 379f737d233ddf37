/**
 * Discord-side metrics: REST responses and 429s from discord.js's own REST events, and interaction results from the
 * router's `settled` event.
 */
import type { REST } from 'discord.js';
import type { InteractionOutcome, InteractionRouter } from '../discord/router.ts';
import type { BotMetrics } from './registry.ts';

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

/** Counts every routed interaction by name and result, from the router's one `settled` event. */
export function countCommands(router: InteractionRouter, metrics: BotMetrics): () => void {
  const onSettled = (outcome: InteractionOutcome) =>
    metrics.commands.inc({ command: outcome.name, result: outcome.result });
  router.on('settled', onSettled);
  return () => router.off('settled', onSettled);
}
