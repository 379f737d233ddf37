/**
 * renderMessages: the message contents a list of console lines becomes when the channel has budget for all of them and
 * nothing is edited — the planner's own inline path, driven to completion. For previews, tests and one-off dumps.
 */
import { FeedPlanner } from './planner.ts';

export function renderMessages(
  lines: readonly string[],
  options: { ansi?: boolean; messageLimit?: number } = {},
): string[] {
  const planner = new FeedPlanner({
    ...options,
    edit: false,
    lingerMs: 0,
    inlineHorizonMs: Number.MAX_SAFE_INTEGER,
    maxPendingBytes: Number.MAX_SAFE_INTEGER,
  });
  for (const line of lines) planner.push(line);
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const action = planner.next({ now: 0 });
    if (action.kind !== 'send') break;
    out.push(action.content);
    planner.ack(action, { ok: true, messageRef: String(i), createdAt: 0 });
  }
  return out;
}
