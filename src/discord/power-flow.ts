/** Runs a power action for a member and keeps one reply current with its progress (slash command or panel button). */
import type { LiveBinding } from '../bridge/bridge.ts';
import { followPowerAction, renderPowerProgress } from '../bridge/power.ts';
import type { PowerAction } from '../wings/protocol.ts';
import type { CommandContext } from './command.ts';

/** How long a reply keeps following the server (interaction tokens last 15 min). */
const FOLLOW_MS = 5 * 60_000;

export async function runPowerFlow(
  live: LiveBinding,
  action: PowerAction,
  actor: { id: string; name: string; source: 'command' | 'button' },
  ctx: CommandContext,
  show: (text: string) => Promise<void>,
): Promise<void> {
  await ctx.services.bridge.ensureConnected(live);
  ctx.services.bridge.recordAction(live, { actorId: actor.id, actorName: actor.name, action, source: actor.source });
  let lastText = '';
  const progress = await followPowerAction(
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
  const finalText = renderPowerProgress(live.binding.name, action, progress);
  if (finalText !== lastText) await show(finalText);
}
