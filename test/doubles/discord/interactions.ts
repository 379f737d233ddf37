// Interaction lifecycle: the 3 s initial-response deadline, the 15-minute token, callbacks (types 4–9), the interaction
// webhook (@original edits, follow-ups) and the handles tests use to observe all of it.
import type { RestServer } from './http.ts';
import { createMessage, deleteMessage, editMessage } from './messages.ts';
import type { StoredMessage, UserRecord, World } from './model.ts';
import type { Limit } from './ratelimit.ts';
import { ApiError, Errors, formError, Signal, waitUntil } from './util.ts';
import { Flags, type Limits, type MessageInput } from './validate.ts';

export interface InteractionResponse {
  kind: 'callback' | 'edit' | 'followup' | 'delete';
  /** The callback's type (4 reply, 5 defer, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  callbackType?: number;
  /** The message created or changed, when there is one. */
  messageId?: string;
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: Record<string, unknown>[];
  flags?: number;
  ephemeral: boolean;
  attachments: { filename: string; size: number }[];
  choices?: { name: string; value: unknown }[];
  modal?: Record<string, unknown>;
  /** The request body as sent. */
  body: Record<string, unknown>;
  at: number;
}

const VALID_CALLBACKS: Record<number, number[]> = { 2: [4, 5, 9], 3: [4, 5, 6, 7, 9], 4: [8], 5: [4, 5, 6, 7] };

export class InteractionHandle {
  readonly responses: InteractionResponse[] = [];
  ackAt?: number;
  ackType?: number;
  originalMessageId?: string;
  readonly followupIds: string[] = [];
  /** A type-5 defer whose first follow-up replaces the "thinking" message (Discord's documented behaviour). */
  deferPendingFollowup = false;
  /** Whether the initial response (or the defer it came from) is ephemeral. */
  ephemeral = false;
  readonly signal = new Signal();

  constructor(
    private readonly world: World,
    readonly id: string,
    readonly token: string,
    readonly type: number,
    readonly guildId: string,
    readonly channelId: string,
    readonly user: UserRecord,
    readonly payload: Record<string, unknown>,
    readonly createdAt: number,
    readonly deadlineMs: number,
    readonly tokenTtlMs: number,
    readonly sourceMessageId?: string,
  ) {}

  get acknowledged(): boolean {
    return this.ackAt !== undefined;
  }

  /** true: answered within the deadline; false: answered late or not at all by now; undefined: still within it. */
  get deadlineMet(): boolean | undefined {
    if (this.ackAt !== undefined) return this.ackAt - this.createdAt <= this.deadlineMs;
    return Date.now() - this.createdAt > this.deadlineMs ? false : undefined;
  }

  /** The @original message as it stands now (for deferred updates / updates: the component's message). */
  final(): StoredMessage | undefined {
    const id = this.originalMessageId ?? (this.ackType === 6 || this.ackType === 7 ? this.sourceMessageId : undefined);
    return id ? this.world.messages.get(id) : undefined;
  }

  followups(): StoredMessage[] {
    return this.followupIds.flatMap((id) => this.world.messages.get(id) ?? []);
  }

  /** Resolves with the first response (existing or future) matching `predicate` (default: any). */
  waitForReply(
    predicate: (r: InteractionResponse) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<InteractionResponse> {
    return waitUntil(
      () => this.responses.find(predicate),
      this.signal.subscribe,
      timeoutMs,
      `a reply to interaction ${this.id}`,
    );
  }

  /** For autocomplete: resolves with the choices of the type-8 callback. */
  async waitForChoices(timeoutMs = 5000): Promise<{ name: string; value: unknown }[]> {
    const r = await this.waitForReply((x) => x.callbackType === 8, timeoutMs);
    return r.choices ?? [];
  }

  record(
    r: Omit<InteractionResponse, 'at' | 'attachments' | 'ephemeral'> & { message?: StoredMessage },
  ): InteractionResponse {
    const m = r.message;
    const entry: InteractionResponse = {
      ...r,
      at: Date.now(),
      ephemeral: m?.ephemeral ?? false,
      attachments: m ? m.attachments.map((a) => ({ filename: a.filename, size: a.size })) : [],
      ...(m ? { messageId: m.id, content: m.content, embeds: m.embeds, components: m.components, flags: m.flags } : {}),
    };
    delete (entry as { message?: unknown }).message;
    this.responses.push(entry);
    this.signal.notify();
    return entry;
  }
}

export interface InteractionDeps {
  world: World;
  applicationId: string;
  limits: Limits;
  rateLimits: { interactionCallback: Limit; webhook: Limit };
}

export class InteractionRegistry {
  readonly byId = new Map<string, InteractionHandle>();
  readonly byToken = new Map<string, InteractionHandle>();
  readonly signal = new Signal();

  constructor(private readonly d: InteractionDeps) {}

  add(handle: InteractionHandle): void {
    this.byId.set(handle.id, handle);
    this.byToken.set(handle.token, handle);
    this.signal.notify();
    // Passing the deadline changes deadlineMet; wake waiters then.
    setTimeout(() => {
      handle.signal.notify();
      this.signal.notify();
    }, handle.deadlineMs + 1).unref();
  }

  private forCallback(id: string, token: string): InteractionHandle {
    const h = this.byId.get(id);
    if (!h || h.token !== token) throw Errors.unknownInteraction();
    if (h.acknowledged) throw Errors.alreadyAcknowledged();
    if (Date.now() - h.createdAt > h.deadlineMs) throw Errors.unknownInteraction();
    return h;
  }

  private forWebhook(app: string, token: string): InteractionHandle {
    const h = this.byToken.get(token);
    if (!h || app !== this.d.applicationId) throw Errors.unknownWebhook();
    if (Date.now() - h.createdAt > h.tokenTtlMs) throw Errors.invalidWebhookToken();
    if (!h.acknowledged) throw Errors.unknownWebhook();
    return h;
  }

  private messageOf(h: InteractionHandle, ref: string): StoredMessage {
    const id = ref === '@original' ? h.final()?.id : ref;
    const own = id !== undefined && (id === h.final()?.id || h.followupIds.includes(id));
    const m = id ? this.d.world.messages.get(id) : undefined;
    if (!own || !m || m.deleted) throw Errors.unknownMessage();
    return m;
  }

  private callback(
    h: InteractionHandle,
    body: Record<string, unknown>,
    files: Parameters<typeof createMessage>[1]['files'],
  ) {
    const { world } = this.d;
    const type = body.type;
    if (typeof type !== 'number' || !(VALID_CALLBACKS[h.type] ?? []).includes(type)) {
      throw Errors.invalidForm(
        formError(['type'], 'INTERACTION_RESPONSE_TYPE_INVALID', 'Invalid interaction response type'),
      );
    }
    const data = (body.data ?? {}) as MessageInput & Record<string, unknown>;
    const ephemeral = ((data.flags ?? 0) & Flags.EPHEMERAL) !== 0;
    const common = {
      channelId: h.channelId,
      source: 'interaction' as const,
      author: world.botUser,
      limits: this.d.limits,
      interactionId: h.id,
      interactionUser: h.user,
      webhookId: this.d.applicationId,
      type: h.type === 2 ? 20 : 19,
      ephemeral,
    };
    let message: StoredMessage | undefined;
    let choices: { name: string; value: unknown }[] | undefined;
    let modal: Record<string, unknown> | undefined;
    switch (type) {
      case 4:
        message = createMessage(world, { ...common, input: data, files });
        h.originalMessageId = message.id;
        h.ephemeral = ephemeral;
        break;
      case 5:
        message = createMessage(world, { ...common, input: {}, files: [], loading: true });
        h.originalMessageId = message.id;
        h.ephemeral = ephemeral;
        h.deferPendingFollowup = true;
        break;
      case 6:
        break;
      case 7: {
        const source = h.sourceMessageId ? world.messages.get(h.sourceMessageId) : undefined;
        if (!source || source.deleted) throw Errors.unknownMessage();
        message = editMessage(world, source, data, files, this.d.limits);
        break;
      }
      case 8: {
        const list = (Array.isArray(data.choices) ? data.choices : []) as { name: string; value: unknown }[];
        if (list.length > 25) {
          throw Errors.invalidForm(
            formError(['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.'),
          );
        }
        choices = list;
        break;
      }
      case 9:
        modal = data;
        break;
    }
    h.ackAt = Date.now();
    h.ackType = type;
    h.record({
      kind: 'callback',
      callbackType: type,
      body,
      ...(message ? { message } : {}),
      ...(choices ? { choices } : {}),
      ...(modal ? { modal } : {}),
    });
    this.signal.notify();
    return message;
  }

  registerRoutes(rest: RestServer): void {
    const { world } = this.d;
    rest.add({
      method: 'POST',
      path: '/interactions/:id/:token/callback',
      auth: 'none',
      bucket: (p) => ({ limit: this.d.rateLimits.interactionCallback, major: p.id as string }),
      handler: (c) => {
        const h = this.forCallback(c.params.id as string, c.params.token as string);
        const message = this.callback(h, c.body, c.files);
        if (c.query.get('with_response') !== 'true') return { status: 204 };
        const type = c.body.type as number;
        return {
          status: 200,
          body: {
            interaction: {
              id: h.id,
              type: h.type,
              ...(message
                ? {
                    response_message_id: message.id,
                    response_message_loading: type === 5,
                    response_message_ephemeral: message.ephemeral,
                  }
                : {}),
            },
            resource: { type, ...(message ? { message: world.messageJson(message) } : {}) },
          },
        };
      },
    });
    const bucket = (p: Record<string, string>) => ({ limit: this.d.rateLimits.webhook, major: `${p.app}/${p.token}` });
    rest.add({
      method: 'POST',
      path: '/webhooks/:app/:token',
      auth: 'token',
      bucket,
      handler: (c) => {
        const h = this.forWebhook(c.params.app as string, c.params.token as string);
        const input = c.body as MessageInput;
        let message: StoredMessage;
        if (h.deferPendingFollowup && h.originalMessageId) {
          // The first follow-up after a defer fills the "thinking" message; its ephemeral state is the defer's.
          h.deferPendingFollowup = false;
          message = editMessage(world, this.messageOf(h, '@original'), input, c.files, this.d.limits);
        } else {
          message = createMessage(world, {
            channelId: h.channelId,
            input,
            files: c.files,
            source: 'interaction',
            author: world.botUser,
            limits: this.d.limits,
            interactionId: h.id,
            interactionUser: h.user,
            webhookId: this.d.applicationId,
            type: 19,
            ephemeral: ((input.flags ?? 0) & Flags.EPHEMERAL) !== 0,
          });
          h.followupIds.push(message.id);
        }
        h.record({ kind: 'followup', body: c.body, message });
        return { status: 200, body: world.messageJson(message) };
      },
    });
    const msgPath = '/webhooks/:app/:token/messages/:message';
    rest.add({
      method: 'GET',
      path: msgPath,
      auth: 'token',
      bucket,
      handler: (c) => {
        const h = this.forWebhook(c.params.app as string, c.params.token as string);
        return { status: 200, body: world.messageJson(this.messageOf(h, c.params.message as string)) };
      },
    });
    rest.add({
      method: 'PATCH',
      path: msgPath,
      auth: 'token',
      bucket,
      handler: (c) => {
        const h = this.forWebhook(c.params.app as string, c.params.token as string);
        const target = this.messageOf(h, c.params.message as string);
        if (target.id === h.originalMessageId) h.deferPendingFollowup = false;
        const message = editMessage(world, target, c.body as MessageInput, c.files, this.d.limits);
        h.record({ kind: 'edit', body: c.body, message });
        return { status: 200, body: world.messageJson(message) };
      },
    });
    rest.add({
      method: 'DELETE',
      path: msgPath,
      auth: 'token',
      bucket,
      handler: (c) => {
        const h = this.forWebhook(c.params.app as string, c.params.token as string);
        const message = this.messageOf(h, c.params.message as string);
        deleteMessage(world, message);
        h.record({ kind: 'delete', body: {}, messageId: message.id });
        return { status: 204 };
      },
    });
  }
}

export { ApiError };
