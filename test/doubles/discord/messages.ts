// Creating and editing stored messages from REST payloads; shared by channel messages and interaction responses.

import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { StoredAttachment, StoredMessage, UserRecord, World } from './model.ts';
import { snowflake } from './util.ts';
import {
  type AllowedMentions,
  computeMentions,
  Flags,
  type Limits,
  type MessageInput,
  settableFlags,
  type UploadedFile,
  validateMessage,
} from './validate.ts';

export interface CreateOptions {
  channelId: string;
  input: MessageInput;
  files: UploadedFile[];
  source: 'message' | 'interaction';
  author: UserRecord;
  limits: Limits;
  interactionId?: string;
  interactionUser?: UserRecord;
  webhookId?: string;
  type?: number;
  /** Deferred "thinking" placeholder (flag LOADING, may be empty). */
  loading?: boolean;
  ephemeral?: boolean;
}

function attachmentsFrom(input: MessageInput, files: UploadedFile[]): StoredAttachment[] {
  return files.map((file, index) => {
    const n = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? String(index);
    const meta = input.attachments?.find((a) => String(a.id) === n);
    return {
      id: snowflake(),
      filename: meta?.filename ?? file.name,
      size: file.content.length,
      contentType: file.contentType,
      ...(meta?.description ? { description: meta.description } : {}),
      content: file.content,
    };
  });
}

function mentionsFor(
  world: World,
  guildId: string,
  channelId: string,
  content: string,
  am: AllowedMentions | undefined,
  source: 'message' | 'interaction',
) {
  const guild = world.guild(guildId);
  const canMentionEveryone = (world.botPermissions(guildId, channelId) & PermissionFlagsBits.MentionEveryone) !== 0n;
  return computeMentions(content, am, {
    source,
    canMentionEveryone,
    isRoleMentionable: (id) => guild.roles.get(id)?.mentionable ?? false,
  });
}

export function createMessage(world: World, o: CreateOptions): StoredMessage {
  if (!o.loading) validateMessage(o.input, o.files, o.limits, false);
  const channel = world.channel(o.channelId);
  const ephemeral = o.ephemeral ?? false;
  let flags = settableFlags(o.input.flags, o.source === 'interaction');
  if (ephemeral) flags |= Flags.EPHEMERAL;
  if (o.loading) flags |= Flags.LOADING;
  const content = o.input.content ?? '';
  const mentions = mentionsFor(world, channel.guildId, channel.id, content, o.input.allowed_mentions, o.source);
  // Ephemeral and silent-loading messages notify nobody; SUPPRESS_NOTIFICATIONS keeps mentions but sends no push.
  const silent = ephemeral || o.loading === true;
  const message: StoredMessage = {
    id: snowflake(),
    channelId: channel.id,
    guildId: channel.guildId,
    author: o.author,
    content,
    embeds: o.input.embeds ?? [],
    components: o.input.components ?? [],
    flags,
    allowedMentions: o.input.allowed_mentions,
    attachments: attachmentsFrom(o.input, o.files),
    createdAt: Date.now(),
    editedAt: null,
    edits: [],
    pinged: silent ? { everyone: false, users: [], roles: [] } : mentions.pinged,
    mentionedUsers: mentions.mentionedUsers,
    mentionedRoles: mentions.mentionedRoles,
    mentionEveryone: !silent && mentions.mentionsEveryone,
    ephemeral,
    deleted: false,
    type: o.type ?? 0,
    ...(o.interactionId ? { interactionId: o.interactionId } : {}),
    ...(o.interactionUser ? { interactionUser: o.interactionUser } : {}),
    ...(o.webhookId ? { webhookId: o.webhookId } : {}),
  };
  world.storeMessage(message);
  if (!ephemeral) world.dispatch(channel.guildId, 'MESSAGE_CREATE', gatewayMessage(world, message));
  return message;
}

/** Applies a PATCH: only the fields present change. Edits never ping (Discord sends no new notifications). */
export function editMessage(
  world: World,
  message: StoredMessage,
  input: MessageInput,
  files: UploadedFile[],
  limits: Limits,
): StoredMessage {
  validateMessage(input, files, limits, true);
  message.edits.push({
    at: Date.now(),
    content: message.content,
    embeds: message.embeds,
    components: message.components,
    flags: message.flags,
    attachments: message.attachments.map((a) => a.filename),
  });
  if (input.content !== undefined) message.content = input.content ?? '';
  if (input.embeds !== undefined) message.embeds = input.embeds ?? [];
  if (input.components !== undefined) message.components = input.components ?? [];
  if (input.allowed_mentions !== undefined) message.allowedMentions = input.allowed_mentions;
  if (input.flags !== undefined && input.flags !== null) {
    // Only SUPPRESS_EMBEDS can be toggled by an edit; the rest of the flags stay as they were.
    message.flags = (message.flags & ~Flags.SUPPRESS_EMBEDS) | (input.flags & Flags.SUPPRESS_EMBEDS);
  }
  message.flags &= ~Flags.LOADING;
  if (input.attachments !== undefined) {
    const keep = new Set(input.attachments.map((a) => String(a.id)));
    message.attachments = message.attachments.filter((a) => keep.has(a.id));
  }
  message.attachments.push(...attachmentsFrom(input, files));
  const mentions = mentionsFor(
    world,
    message.guildId,
    message.channelId,
    message.content,
    input.allowed_mentions,
    'message',
  );
  message.mentionedUsers = mentions.mentionedUsers;
  message.mentionedRoles = mentions.mentionedRoles;
  message.editedAt = Date.now();
  world.messageSignal.notify();
  if (!message.ephemeral) world.dispatch(message.guildId, 'MESSAGE_UPDATE', gatewayMessage(world, message));
  return message;
}

export function deleteMessage(world: World, message: StoredMessage): void {
  message.deleted = true;
  world.messageSignal.notify();
  if (!message.ephemeral) {
    world.dispatch(message.guildId, 'MESSAGE_DELETE', {
      id: message.id,
      channel_id: message.channelId,
      guild_id: message.guildId,
    });
  }
}

export function gatewayMessage(world: World, message: StoredMessage): Record<string, unknown> {
  const member = world.guilds.get(message.guildId)?.members.get(message.author.id);
  return {
    ...world.messageJson(message),
    guild_id: message.guildId,
    ...(member && !message.webhookId ? { member: world.memberJson(member, false) } : {}),
  };
}
