/**
 * Runs a power action for a member and keeps one reply current with its progress (slash command or panel button).
 * Every attempt leaves an audit entry: refused (member or key without permission), failed (with the reason), or sent
 * with the state the server ended in.
 */
import type { LiveBinding } from '../bridge/bridge.ts';
import { CommandRefusedError } from '../bridge/console-command.ts';
import { followPowerAction, renderPowerProgress } from '../bridge/power.ts';
import type { AuditAction, AuditEntry, AuditResult } from '../store/index.ts';
import { WingsError } from '../wings/errors.ts';
import type { PowerAction } from '../wings/protocol.ts';
import type { CommandContext } from './command.ts';
import { userMessageOf } from './errors.ts';
import { assertModerator } from './options.ts';
import type { MemberFacts } from './permissions.ts';

/** How long a reply keeps following the server (interaction tokens last 15 min). */
const FOLLOW_MS = 5 * 60_000;

export interface Actor {
  id: string;
  name: string;
  source: 'command' | 'button';
}

/** The audit entry of an attempt, before its result is known. */
export function auditBase(actor: Actor, action: AuditAction, command?: string): Omit<AuditEntry, 'result'> {
  return {
    at: new Date().toISOString(),
    actorId: actor.id,
    actorName: actor.name,
    source: actor.source,
    action,
    ...(command !== undefined ? { command } : {}),
  };
}

/** How an error that stopped an attempt is recorded. */
export function auditOutcomeOf(error: unknown): { result: AuditResult; detail: string } {
  if (error instanceof CommandRefusedError) return { result: 'refused_policy', detail: error.userMessage };
  if (error instanceof WingsError && error.code === 'missing_permission') {
    return { result: 'refused_permission', detail: error.userMessage };
  }
  return { result: 'failed', detail: userMessageOf(error) ?? 'unexpected error (see the bot log)' };
}

/** The moderator check, with an audit entry when it refuses. */
export async function assertModeratorAudited(
  ctx: CommandContext,
  live: LiveBinding,
  member: MemberFacts,
  base: Omit<AuditEntry, 'result'>,
): Promise<void> {
  try {
    assertModerator(member, live);
  } catch (error) {
    await ctx.services.bridge.audit(live, { ...base, result: 'refused_permission', detail: 'not a moderator' });
    throw error;
  }
}

export async function runPowerFlow(
  live: LiveBinding,
  action: PowerAction,
  actor: Actor,
  ctx: CommandContext,
  show: (text: string) => Promise<void>,
): Promise<void> {
  const bridge = ctx.services.bridge;
  const base = auditBase(actor, action);
  let lastText = '';
  let progress: Awaited<ReturnType<typeof followPowerAction>>;
  let release: (() => void) | undefined;
  try {
    // Held until the flow settles (outcome, refusal, timeout, shutdown): one action per server at a time.
    release = bridge.beginPowerAction(live, action, actor);
    await bridge.ensureConnected(live);
    bridge.recordAction(live, { actorId: actor.id, actorName: actor.name, action, source: actor.source });
    progress = await followPowerAction(
      live,
      action,
      async (p) => {
        const text = renderPowerProgress(live.binding.name, action, p);
        if (text === lastText) return;
        lastText = text;
        await show(text);
      },
      { timeoutMs: FOLLOW_MS, signal: ctx.services.shutdownSignal },
    );
  } catch (error) {
    release?.();
    await bridge.audit(live, { ...base, ...auditOutcomeOf(error) });
    throw error;
  }
  release();
  const finalState = progress.states.at(-1) ?? live.connection.serverState;
  await bridge.audit(live, {
    ...base,
    result: progress.error ? 'failed' : 'sent',
    ...(progress.error ? { detail: progress.error } : {}),
    ...(finalState ? { finalState } : {}),
  });
  const finalText = renderPowerProgress(live.binding.name, action, progress);
  if (finalText !== lastText) await show(finalText);
}
