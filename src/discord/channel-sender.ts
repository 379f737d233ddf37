/**
 * The thin I/O shell of the console feed: posts, edits and attaches in one channel through discord.js's REST queue,
 * one request at a time per channel, and tells the planner how long until the channel has budget again, read from
 * Discord's rate-limit headers (X-RateLimit-Remaining / Reset-After) as discord.js receives them.
 */
import { DiscordAPIError, MessageFlags, type REST, Routes } from 'discord.js';

/** Feed messages never notify and never unfurl links. */
const FEED_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications;

export type SendOutcome =
  | { ok: true; messageId: string; createdAt: number }
  | { ok: false; kind: 'unknown_message' }
  /** 403/404 on the channel itself: stop posting there until someone fixes it. */
  | { ok: false; kind: 'channel_refused'; reason: string }
  /** Discord refuses this content (AutoMod, harmful-link filter, form validation): the same request will fail again. */
  | { ok: false; kind: 'rejected'; reason: string }
  | { ok: false; kind: 'failed'; reason: string };

interface Budget {
  remaining: number;
  resetAt: number;
}

/** Tracks the budget of the message-create and message-edit routes of each channel from response headers. */
export class ChannelBudgets {
  private readonly budgets = new Map<string, Budget>();

  constructor(
    rest: REST,
    private readonly now: () => number = Date.now,
  ) {
    rest.on('response', (request, response) => {
      const match = /^\/channels\/(\d+)\/messages(\/\d+)?$/.exec(request.path.split('?')[0] ?? '');
      if (!match) return;
      const remaining = Number(response.headers.get('x-ratelimit-remaining'));
      const resetAfter = Number(response.headers.get('x-ratelimit-reset-after'));
      if (!Number.isFinite(remaining) || !Number.isFinite(resetAfter)) return;
      const key = `${match[1]}:${match[2] ? 'edit' : 'create'}`;
      this.budgets.set(key, { remaining, resetAt: this.now() + resetAfter * 1000 });
    });
    rest.on('rateLimited', (info) => {
      const match = /^\/channels\/(\d+)\/messages(\/:id)?/.exec(info.route);
      if (!match) return;
      const key = `${match[1]}:${match[2] ? 'edit' : 'create'}`;
      this.budgets.set(key, { remaining: 0, resetAt: this.now() + info.timeToReset });
    });
  }

  /** Milliseconds until a request of that kind may go out in the channel (0 = now). */
  waitMs(channelId: string, kind: 'create' | 'edit'): number {
    const budget = this.budgets.get(`${channelId}:${kind}`);
    if (!budget || budget.remaining > 0) return 0;
    return Math.max(0, budget.resetAt - this.now());
  }
}

export class ChannelSender {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rest: REST,
    readonly channelId: string,
  ) {}

  /**
   * A new message. Feed text is silent and pings no one; `pingRoles` lets exactly those roles be notified (crash alert);
   * Without `pingRoles`, mentions in the content render but notify no one (audit lines).
   */
  create(content: string, options: { pingRoles?: string[]; file?: { name: string; data: Buffer } } = {}) {
    return this.serialise(async () => {
      const pinging = options.pingRoles !== undefined && options.pingRoles.length > 0;
      const body = {
        content,
        flags: pinging ? MessageFlags.SuppressEmbeds : FEED_FLAGS,
        allowed_mentions: pinging ? { parse: [], roles: options.pingRoles } : { parse: [] },
      };
      const message = (await this.rest.post(Routes.channelMessages(this.channelId), {
        body,
        ...(options.file
          ? { files: [{ name: options.file.name, data: options.file.data, contentType: 'text/plain' }] }
          : {}),
      })) as { id: string; timestamp?: string };
      return message;
    });
  }

  edit(messageId: string, content: string) {
    return this.serialise(async () => {
      return (await this.rest.patch(Routes.channelMessage(this.channelId, messageId), {
        body: { content, flags: MessageFlags.SuppressEmbeds, allowed_mentions: { parse: [] } },
      })) as { id: string; timestamp?: string };
    });
  }

  /** A message with embeds/components (the power panel), through the same per-channel queue. */
  postMessage(body: Record<string, unknown>) {
    return this.serialise(
      async () =>
        (await this.rest.post(Routes.channelMessages(this.channelId), {
          body: { allowed_mentions: { parse: [] }, ...body },
        })) as { id: string; timestamp?: string },
    );
  }

  editMessage(messageId: string, body: Record<string, unknown>) {
    return this.serialise(
      async () =>
        (await this.rest.patch(Routes.channelMessage(this.channelId, messageId), {
          body: { allowed_mentions: { parse: [] }, ...body },
        })) as { id: string; timestamp?: string },
    );
  }

  /** One request in flight per channel: every feed (and crash ping) on this channel queues here. */
  private serialise(step: () => Promise<{ id: string; timestamp?: string }>): Promise<SendOutcome> {
    const run = async (): Promise<SendOutcome> => {
      try {
        const message = await step();
        const createdAt = message.timestamp ? Date.parse(message.timestamp) : Date.now();
        return { ok: true, messageId: message.id, createdAt: Number.isFinite(createdAt) ? createdAt : Date.now() };
      } catch (error) {
        return classifySendError(error);
      }
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Discord error codes that mean the channel itself refuses us (so retrying only burns the invalid-request budget). */
const CHANNEL_REFUSED: Record<number, string> = {
  10003: 'the console channel no longer exists',
  50001: 'the bot has no access to the console channel',
  50013: 'the bot lacks permission to post in the console channel (Send Messages, Attach Files)',
};

/** 400s about the content itself. */
const CONTENT_REJECTED: Record<number, string> = {
  50035: 'invalid message',
  50006: 'empty message',
  200000: 'blocked by AutoMod',
  200001: 'blocked by AutoMod',
  240000: 'blocked by the harmful link filter',
};

export function classifySendError(error: unknown): SendOutcome {
  if (error instanceof DiscordAPIError) {
    const code = typeof error.code === 'number' ? error.code : 0;
    // 10008 Unknown Message (the message being edited was deleted); 30046 too many edits to an old message.
    if (code === 10008 || code === 30046) return { ok: false, kind: 'unknown_message' };
    const refused = CHANNEL_REFUSED[code];
    if (refused) return { ok: false, kind: 'channel_refused', reason: refused };
    if (error.status === 403 || error.status === 404) {
      return { ok: false, kind: 'channel_refused', reason: `Discord refused the console channel (${error.status})` };
    }
    const rejected = CONTENT_REJECTED[code];
    if (rejected || (error.status === 400 && code !== 0)) {
      return { ok: false, kind: 'rejected', reason: rejected ?? `Discord error ${code}` };
    }
    return { ok: false, kind: 'failed', reason: `Discord answered ${error.status} (${code})` };
  }
  const status = (error as { status?: number }).status;
  const reason = status ? `Discord answered ${status}` : error instanceof Error ? error.message : String(error);
  return { ok: false, kind: 'failed', reason };
}

/** One sender per channel for the whole process, and the budgets they share. */
export class ChannelSenders {
  readonly budgets: ChannelBudgets;
  private readonly senders = new Map<string, ChannelSender>();

  constructor(private readonly rest: REST) {
    this.budgets = new ChannelBudgets(rest);
  }

  get(channelId: string): ChannelSender {
    let sender = this.senders.get(channelId);
    if (!sender) {
      sender = new ChannelSender(this.rest, channelId);
      this.senders.set(channelId, sender);
    }
    return sender;
  }
}
