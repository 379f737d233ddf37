/**
 * Replies to one interaction correctly in every state (not yet answered, deferring, deferred, replied) and serialises
 * the calls, so an automatic defer and the command's own reply can never race into "already acknowledged".
 * Every payload goes out with `allowedMentions: { parse: [] }` unless the caller says otherwise: text from game servers and
 * panels must never ping anyone. Content is cut to Discord's 2000 characters, so a long error never fails the reply.
 */
import {
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  MessageFlags,
  type RepliableInteraction,
} from 'discord.js';

export type ReplyPayload = string | (Omit<InteractionReplyOptions, 'flags' | 'fetchReply' | 'withResponse'> & object);

type Stage = 'pending' | 'deferred' | 'replied';

export class Responder {
  private stage: Stage = 'pending';
  private ephemeral = true;
  private chain: Promise<unknown> = Promise.resolve();
  private autoDeferTimer: NodeJS.Timeout | undefined;

  constructor(readonly interaction: RepliableInteraction) {}

  /** Discord invalidates the token 3 s after creation; defer before that if nothing was sent yet. */
  autoDefer(afterMs: number, ephemeral = true): void {
    const elapsed = Date.now() - this.interaction.createdTimestamp;
    const delay = Math.max(0, Math.min(afterMs, 2_500 - Math.max(0, elapsed)));
    this.autoDeferTimer = setTimeout(() => {
      void this.defer(ephemeral).catch(() => undefined);
    }, delay);
    this.autoDeferTimer.unref();
  }

  get answered(): boolean {
    return this.stage !== 'pending';
  }

  /** Acknowledge now, showing "thinking…"; later `send` calls edit that message. Idempotent. */
  defer(ephemeral = true): Promise<void> {
    return this.enqueue(async () => {
      if (this.stage !== 'pending') return;
      this.ephemeral = ephemeral;
      await this.interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
      this.stage = 'deferred';
    });
  }

  /** The main answer: a reply when nothing was sent yet, else an edit of the (deferred) original. */
  send(payload: ReplyPayload, options: { ephemeral?: boolean } = {}): Promise<void> {
    return this.enqueue(async () => {
      const body = normalise(payload);
      if (this.stage === 'pending') {
        const ephemeral = options.ephemeral ?? true;
        this.ephemeral = ephemeral;
        await this.interaction.reply({ ...body, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
        this.stage = 'replied';
        return;
      }
      await this.interaction.editReply(body as InteractionEditReplyOptions);
      this.stage = 'replied';
    });
  }

  /**
   * An error or notice: replaces a deferred ephemeral answer, or comes as a separate ephemeral follow-up when an answer
   * was already shown (so a public answer is never overwritten by a private error); a public deferred placeholder is
   * deleted first, since its answer will not come.
   */
  sendError(payload: ReplyPayload): Promise<void> {
    return this.enqueue(async () => {
      const body = normalise(payload);
      if (this.stage === 'pending') {
        await this.interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
        this.stage = 'replied';
      } else if (this.stage === 'deferred') {
        // The deferred message is the answer's place, public or not: Discord's first follow-up after a defer edits it
        // (so deleting it first leaves the follow-up nowhere to go), and a defer's visibility cannot change. User
        // messages are written to be safe for everyone to read.
        await this.interaction.editReply(body as InteractionEditReplyOptions);
        this.stage = 'replied';
      } else {
        await this.interaction.followUp({ ...body, flags: MessageFlags.Ephemeral });
      }
    });
  }

  /** Replaces the message a button sits on (component interactions only); later `send` calls edit it again. */
  update(payload: ReplyPayload): Promise<void> {
    return this.enqueue(async () => {
      if (!this.interaction.isMessageComponent()) throw new Error('update() needs a component interaction');
      if (this.stage !== 'pending') {
        await this.interaction.editReply(normalise(payload) as InteractionEditReplyOptions);
      } else {
        await this.interaction.update(normalise(payload) as InteractionEditReplyOptions);
      }
      this.stage = 'replied';
      this.ephemeral = true;
    });
  }

  followUp(payload: ReplyPayload, ephemeral = true): Promise<void> {
    return this.enqueue(async () => {
      await this.interaction.followUp({
        ...normalise(payload),
        ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
      });
    });
  }

  dispose(): void {
    if (this.autoDeferTimer) clearTimeout(this.autoDeferTimer);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    if (this.autoDeferTimer) {
      // Our own call arrives first: the safety-net defer is no longer needed.
      clearTimeout(this.autoDeferTimer);
      this.autoDeferTimer = undefined;
    }
    const next = this.chain.then(step, step);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Discord refuses a message whose content is longer ("interaction failed" for the member). */
export const MAX_CONTENT_LENGTH = 2000;

const FENCE = '```';
const CLOSING_FENCE = `\n${FENCE}`;

function countFences(text: string): number {
  return text.split(FENCE).length - 1;
}

/** Cuts before `end` without splitting a surrogate pair or leaving a partial fence (stray backticks) at the cut. */
function cutAt(text: string, end: number): string {
  let cut = text.slice(0, end);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.replace(/`+$/, '');
}

/**
 * Content longer than Discord takes, cut to fit with "…"; when the cut falls inside a code block the block is closed
 * again, so the rest of the message does not render as code and the fence stays balanced.
 */
export function capContent(text: string, max = MAX_CONTENT_LENGTH): string {
  if (text.length <= max) return text;
  const long = cutAt(text, max - 1);
  if (countFences(long) % 2 === 0) return `${long}…`;
  const short = cutAt(text, max - 1 - CLOSING_FENCE.length);
  return countFences(short) % 2 === 0 ? `${short}…` : `${short}…${CLOSING_FENCE}`;
}

function normalise(payload: ReplyPayload): InteractionReplyOptions {
  const body: InteractionReplyOptions = typeof payload === 'string' ? { content: payload } : { ...payload };
  if (body.allowedMentions === undefined) body.allowedMentions = { parse: [] };
  if (typeof body.content === 'string') body.content = capContent(body.content);
  return body;
}
