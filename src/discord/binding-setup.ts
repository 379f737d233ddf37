/**
 * `/server add` checks, in the order that fails cheapest first: the member, the name, the URL policy, the key's shape,
 * the console channel, duplicates — and only then the live panel calls. Nothing is stored unless every check passed.
 */
import { randomUUID } from 'node:crypto';
import { type GuildBasedChannel, PermissionFlagsBits } from 'discord.js';
import type { Bridge } from '../bridge/bridge.ts';
import type { Config } from '../config.ts';
import { looksLikeClientKey } from '../panel/client.ts';
import { normalizePanelUrl } from '../panel/url-policy.ts';
import type { Binding } from '../store/index.ts';
import { UserError } from './errors.ts';
import { inert } from './format.ts';

export interface AddBindingInput {
  guildId: string;
  actorId: string;
  name: string;
  panelUrl: string;
  serverId: string;
  apiKey: string;
  consoleChannel: GuildBasedChannel;
  botMemberPermissionsIn: (channel: GuildBasedChannel) => bigint | undefined;
  moderatorRoleId?: string | undefined;
  alertRoleId?: string | undefined;
}

/** Permissions a command needs from the key, and what stops working without each. */
export const NEEDED_PERMISSIONS: Array<[permission: string, consequence: string]> = [
  ['control.console', '/cmd will not work'],
  ['control.start', '/start will not work'],
  ['control.stop', '/stop and /kill will not work'],
  ['control.restart', '/restart will not work'],
];

const NAME = /^[^\r\n\t@#:`]{1,32}$/u;

export function validateBindingName(raw: string): string {
  const name = raw.trim().replace(/[ \u00a0]+/g, ' ');
  if (!NAME.test(name)) {
    throw new UserError('The name must be 1-32 characters without line breaks, @, #, : or backticks (e.g. Survival).');
  }
  return name;
}

export function validateServerId(raw: string): string {
  const id = raw.trim();
  if (/^[0-9a-f]{8}$/i.test(id) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    return id.toLowerCase();
  }
  throw new UserError(
    'The server id is the 8-character identifier in the panel address (…/server/1a2b3c4d) or the full UUID.',
  );
}

export function validateApiKeyShape(raw: string): string {
  const key = raw.trim();
  if (/^(ptla|papp)_/.test(key)) {
    throw new UserError(
      'That is an application API key; ptero-bridge needs a client key (ptlc_…, pacc_… on Pelican) from Account → API Credentials on the panel.',
    );
  }
  if (!looksLikeClientKey(key)) {
    throw new UserError(
      'That does not look like a panel client API key: it should start with ptlc_ (pacc_ on Pelican) and be 48 characters long. Create one under Account → API Credentials.',
    );
  }
  return key;
}

function checkChannel(input: AddBindingInput): void {
  const channel = input.consoleChannel;
  if (!channel.isTextBased() || channel.isVoiceBased()) {
    throw new UserError(`<#${channel.id}> is not a text channel; choose a text channel for the console feed.`);
  }
  const perms = input.botMemberPermissionsIn(channel);
  if (perms === undefined) return; // unknown here; the feed will report a refused channel clearly
  const needed: Array<[bigint, string]> = [
    [PermissionFlagsBits.ViewChannel, 'View Channel'],
    [PermissionFlagsBits.SendMessages, 'Send Messages'],
    [PermissionFlagsBits.AttachFiles, 'Attach Files'],
  ];
  const missing = needed.filter(([bit]) => (perms & bit) === 0n).map(([, label]) => label);
  if (missing.length > 0) {
    throw new UserError(
      `The bot cannot post in <#${channel.id}>: it lacks ${missing.join(', ')} there. Grant them, or choose another channel.`,
    );
  }
}

export interface AddBindingResult {
  binding: Binding;
  serverName: string;
  node: string;
  permissions: string[];
  warnings: string[];
}

export async function addBinding(bridge: Bridge, config: Config, input: AddBindingInput): Promise<AddBindingResult> {
  const name = validateBindingName(input.name);
  const panelUrl = normalizePanelUrl(input.panelUrl, {
    allowHttp: config.ALLOW_HTTP_PANELS,
    allowlist: config.PANEL_URL_ALLOWLIST,
  });
  const apiKey = validateApiKeyShape(input.apiKey);
  const serverId = validateServerId(input.serverId);
  checkChannel(input);

  const existing = await bridge.store.bindings.listByGuild(input.guildId);
  const clash = existing.find((r) => (r.ok ? r.binding.name : r.name).toLowerCase() === name.toLowerCase());
  if (clash) {
    // Name the binding that exists (its own spelling), not what was typed.
    const existingName = clash.ok ? clash.binding.name : clash.name;
    throw new UserError(
      `A server is already bound here as “${inert(existingName, 40)}”; choose another name or remove it first.`,
    );
  }

  const panel = bridge.createPanelClient({ panelUrl, apiKey });
  const details = await panel.getServer(serverId);
  if (details.isSuspended)
    throw new UserError(
      `${inert(details.name, 80)} is suspended on the panel; it cannot be bound until it is unsuspended.`,
    );
  if (details.isInstalling)
    throw new UserError(`${inert(details.name, 80)} is still installing; bind it once the installation has finished.`);
  if (details.isTransferring)
    throw new UserError(
      `${inert(details.name, 80)} is being transferred to another node; try again when that is done.`,
    );
  // Proves the key may open the console socket (websocket.connect) before anything is stored.
  await panel.getWebsocketCredentials(serverId);

  const binding: Binding = {
    id: randomUUID(),
    guildId: input.guildId,
    name,
    panelUrl,
    serverId: details.identifier,
    serverUuid: details.uuid,
    apiKey,
    consoleChannelId: input.consoleChannel.id,
    createdBy: input.actorId,
    createdAt: new Date().toISOString(),
    ...(input.moderatorRoleId ? { moderatorRoleId: input.moderatorRoleId } : {}),
    ...(input.alertRoleId ? { alertRoleId: input.alertRoleId } : {}),
  };
  await bridge.add(binding);

  const granted = details.permissions;
  const has = (p: string) => granted.includes('*') || granted.includes(p);
  const warnings = NEEDED_PERMISSIONS.filter(([p]) => !has(p)).map(([p, what]) => `the key lacks ${p}: ${what}`);
  return { binding, serverName: details.name, node: details.node, permissions: granted, warnings };
}
