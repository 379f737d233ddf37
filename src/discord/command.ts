/**
 * The shape of a command module in `commands/`: a builder `data` (the same definition is deployed to Discord and read
 * back by the handler), an `execute`, and optionally `autocomplete` and a component handler for the custom ids it owns.
 */
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  MessageComponentInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Bridge } from '../bridge/bridge.ts';
import type { PowerPanels } from '../bridge/power-panels.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Responder } from './responder.ts';

export interface BotServices {
  config: Config;
  logger: Logger;
  bridge: Bridge;
  panels: PowerPanels;
  /** Aborted at shutdown: long-running replies wrap up instead of holding the process. */
  shutdownSignal: AbortSignal;
}

export interface CommandContext {
  services: BotServices;
  respond: Responder;
  logger: Logger;
}

export interface CommandData {
  readonly name: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

export interface CommandModule {
  data: CommandData;
  /**
   * Visibility of the automatic defer the router sends when `execute` has answered nothing after a while (default true:
   * ephemeral). A command whose answer is public (/stats) sets false, or a slow start would make its answer private.
   */
  deferEphemeral?: boolean;
  execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction<'cached'>, ctx: Omit<CommandContext, 'respond'>): Promise<void>;
  /** Custom-id prefix (before the first ':') of the buttons this module answers. */
  componentPrefix?: string;
  handleComponent?(interaction: MessageComponentInteraction<'cached'>, ctx: CommandContext): Promise<void>;
}
