/**
 * Replies to one interaction correctly in every state (not yet answered, deferring, deferred, replied) and serialises
 * the calls, so an automatic defer and the command's own reply can never race into "already acknowledged".
 * Every payload goes out with `allowedMentions: { parse: [] }` unless the caller says otherwise: text from game servers and
 * panels must never ping anyone.
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
   * An error or notice: replaces a deferred answer, or comes as a separate ephemeral follow-up when an answer was already
   * shown (so a public answer is never overwritten by a private error).
   */
  sendError(payload: ReplyPayload): Promise<void> {
    return this.enqueue(async () => {
      const body = normalise(payload);
      if (this.stage === 'pending') {
        await this.interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
        this.stage = 'replied';
      } else if (this.stage === 'deferred' && this.ephemeral) {
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

function normalise(payload: ReplyPayload): InteractionReplyOptions {
  const body: InteractionReplyOptions = typeof payload === 'string' ? { content: payload } : { ...payload };
  if (body.allowedMentions === undefined) body.allowedMentions = { parse: [] };
  return body;
}
