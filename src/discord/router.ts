/**
 * The one place interactions enter: routes slash commands, autocomplete and components to their modules, and turns
 * every failure into a reply (Skyra's single error listener): typed user errors become their own sentence, anything else
 * "Something went wrong (ref XXXX)" with the full error logged under that reference.
 */
import { EventEmitter } from 'node:events';
import type { Interaction, RepliableInteraction } from 'discord.js';
import type { BotServices, CommandModule } from './command.ts';
import { errorReference, userMessageOf } from './errors.ts';
import { Responder } from './responder.ts';

/** Work that may exceed Discord's 3 s deadline is deferred automatically after this long. */
const AUTO_DEFER_MS = 1_500;
/**
 * Component handlers usually answer at once with an update of the clicked message; only one that has sent nothing this
 * late gets an ephemeral "thinking…" reply (which its later update or send then edits), instead of "interaction failed".
 */
const COMPONENT_AUTO_DEFER_MS = 2_000;

/** How one interaction ended, for metrics: `refused` = a typed user error, `error` = anything else. */
export interface InteractionOutcome {
  /** The slash command's name, or `button:<prefix>` for components. */
  name: string;
  result: 'ok' | 'refused' | 'error';
}

export class InteractionRouter extends EventEmitter<{ settled: [outcome: InteractionOutcome] }> {
  private readonly byPrefix = new Map<string, CommandModule>();
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = true;

  constructor(
    private readonly commands: Map<string, CommandModule>,
    private readonly services: BotServices,
  ) {
    super();
    for (const mod of commands.values()) if (mod.componentPrefix) this.byPrefix.set(mod.componentPrefix, mod);
  }

  /** Entry point for the client's interactionCreate event; never rejects. */
  handle(interaction: Interaction): Promise<void> {
    const task = this.dispatch(interaction).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    return task;
  }

  /** Stop taking new interactions and wait for the ones in flight to finish their replies. */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.allSettled([...this.inFlight]);
  }

  private async dispatch(interaction: Interaction): Promise<void> {
    const logger = this.services.logger.child({
      interaction: interaction.id,
      guild: interaction.guildId,
      user: interaction.user.id,
    });
    if (interaction.isAutocomplete()) {
      const mod = this.commands.get(interaction.commandName);
      if (!mod?.autocomplete || !interaction.inCachedGuild() || !this.accepting) {
        await interaction.respond([]).catch(() => undefined);
        return;
      }
      try {
        await mod.autocomplete(interaction, { services: this.services, logger });
      } catch (error) {
        logger.warn({ err: error, command: interaction.commandName }, 'autocomplete failed');
        if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
      }
      return;
    }
    if (!interaction.isRepliable()) return;

    const respond = new Responder(interaction);
    let routed: string | undefined;
    try {
      if (!this.accepting) {
        await respond.sendError('The bot is restarting; please try again in a moment.');
        return;
      }
      if (!interaction.inCachedGuild()) {
        await respond.sendError('These commands work only inside a server (guild) the bot is in.');
        return;
      }
      const ctx = { services: this.services, respond, logger };
      if (interaction.isChatInputCommand()) {
        const mod = this.commands.get(interaction.commandName);
        if (!mod) {
          await respond.sendError(`Unknown command /${interaction.commandName}; the command list may be updating.`);
          return;
        }
        respond.autoDefer(AUTO_DEFER_MS, mod.deferEphemeral ?? true);
        logger.debug({ command: interaction.commandName }, 'command received');
        routed = interaction.commandName;
        await mod.execute(interaction, ctx);
        this.emit('settled', { name: routed, result: 'ok' });
      } else if (interaction.isMessageComponent()) {
        const prefix = interaction.customId.split(':', 1)[0] ?? '';
        const mod = this.byPrefix.get(prefix);
        if (!mod?.handleComponent) {
          await respond.sendError('This button is no longer handled by the bot.');
          return;
        }
        routed = `button:${prefix}`;
        respond.autoDefer(COMPONENT_AUTO_DEFER_MS);
        await mod.handleComponent(interaction, ctx);
        this.emit('settled', { name: routed, result: 'ok' });
      }
    } catch (error) {
      if (routed) this.emit('settled', { name: routed, result: userMessageOf(error) ? 'refused' : 'error' });
      await this.reportError(respond, interaction, error, logger);
    } finally {
      respond.dispose();
    }
  }

  private async reportError(
    respond: Responder,
    interaction: RepliableInteraction,
    error: unknown,
    logger: BotServices['logger'],
  ): Promise<void> {
    const userMessage = userMessageOf(error);
    let text: string;
    if (userMessage) {
      logger.info({ reason: userMessage, kind: (error as { kind?: string }).kind }, 'interaction refused');
      text = userMessage;
    } else {
      const ref = errorReference();
      logger.error({ err: error, ref }, 'interaction failed');
      text = `Something went wrong (ref ${ref}). The error is logged; please tell the bot's operator.`;
    }
    try {
      await respond.sendError(text);
    } catch (replyError) {
      // Too late (token expired) or Discord is down: nothing more to say to the user, but keep a trace.
      logger.warn({ err: replyError, interaction: interaction.id }, 'could not deliver the error reply');
    }
  }
}
