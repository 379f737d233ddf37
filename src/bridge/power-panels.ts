/**
 * Keeps each binding's power panel message current: on every state change at once, and every ~30 s while the server
 * runs, skipping a periodic refresh while the channel's edit budget is spent. The message id lives in the binding, so
 * after a restart the bot keeps editing the same message.
 */
import type { ChannelSenders } from '../discord/channel-sender.ts';
import { renderPanel } from '../discord/panel-view.ts';
import type { Logger } from '../log.ts';
import type { Bridge, LiveBinding } from './bridge.ts';

interface Tracked {
  live: LiveBinding;
  timer: NodeJS.Timeout;
  detach: () => void;
  updating: boolean;
  again: boolean;
}

export class PowerPanels {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly bridge: Bridge,
    private readonly senders: ChannelSenders,
    private readonly logger: Logger,
    private readonly refreshMs = 30_000,
  ) {
    bridge.on('activated', (live) => {
      if (live.binding.panelMessage) this.track(live);
    });
    bridge.on('deactivated', (live) => this.untrack(live.binding.id));
  }

  /** Posts a new panel for the binding in `channelId` and remembers it (the previous panel stops updating). */
  async post(
    live: LiveBinding,
    channelId: string,
  ): Promise<{ ok: true; messageId: string } | { ok: false; reason: string }> {
    const outcome = await this.senders.get(channelId).postMessage(renderPanel(this.facts(live)));
    if (!outcome.ok) {
      return { ok: false, reason: outcome.kind === 'unknown_message' ? 'Discord lost the message' : outcome.reason };
    }
    await this.bridge.update(live.binding.guildId, live.binding.id, {
      panelMessage: { channelId, messageId: outcome.messageId },
    });
    this.untrack(live.binding.id);
    // The binding may have gone while the message was posted (removed, or the bot left the guild): tracking the old
    // one would keep a timer and listeners on a released socket. The stored message is tracked when it comes back.
    const current = this.bridge.live(live.binding.guildId, live.binding.id);
    if (current) this.track(current);
    return { ok: true, messageId: outcome.messageId };
  }

  /** Re-renders now (after a click, a state change). */
  refresh(bindingId: string): void {
    const t = this.tracked.get(bindingId);
    if (t) void this.update(t, false);
  }

  close(): void {
    for (const id of [...this.tracked.keys()]) this.untrack(id);
  }

  private facts(live: LiveBinding) {
    return {
      bindingId: live.binding.id,
      name: live.binding.name,
      state: live.connection.serverState,
      stats: live.connection.lastStats,
      connected: live.connection.connectionState.kind === 'ready',
      updatedAt: new Date(),
    };
  }

  private track(live: LiveBinding): void {
    const connection = live.connection;
    const onChange = () => this.refresh(live.binding.id);
    connection.on('status', onChange);
    connection.on('state', onChange);
    const timer = setInterval(() => {
      const t = this.tracked.get(live.binding.id);
      if (t && live.connection.serverState && live.connection.serverState !== 'offline') void this.update(t, true);
    }, this.refreshMs);
    timer.unref();
    this.tracked.set(live.binding.id, {
      live,
      timer,
      updating: false,
      again: false,
      detach: () => {
        connection.off('status', onChange);
        connection.off('state', onChange);
      },
    });
  }

  private untrack(bindingId: string): void {
    const t = this.tracked.get(bindingId);
    if (!t) return;
    clearInterval(t.timer);
    t.detach();
    this.tracked.delete(bindingId);
  }

  private async update(t: Tracked, periodic: boolean): Promise<void> {
    const panel = this.bridge.live(t.live.binding.guildId, t.live.binding.id)?.binding.panelMessage;
    if (!panel) return;
    if (periodic && this.senders.budgets.waitMs(panel.channelId, 'edit') > 0) return;
    if (t.updating) {
      t.again = true; // coalesce: one more render when the edit in flight lands
      return;
    }
    t.updating = true;
    try {
      const outcome = await this.senders
        .get(panel.channelId)
        .editMessage(panel.messageId, renderPanel(this.facts(t.live)));
      if (!outcome.ok && outcome.kind !== 'failed') {
        // Deleted panel or refused channel: stop editing it; /panel posts a new one.
        this.logger.info({ binding: t.live.binding.id, outcome }, 'power panel no longer editable');
        this.untrack(t.live.binding.id);
        return;
      }
    } finally {
      t.updating = false;
    }
    if (t.again) {
      t.again = false;
      await this.update(t, false);
    }
  }
}
