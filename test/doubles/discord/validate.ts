// Message payload checks with Discord's limits and error shapes, and the "who would be pinged" computation.
import { ApiError, Errors, formError } from './util.ts';

export interface UploadedFile {
  field: string;
  name: string;
  contentType: string;
  content: Buffer;
}

export interface MessageInput {
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: Record<string, unknown>[];
  flags?: number;
  allowed_mentions?: AllowedMentions;
  attachments?: { id: string | number; filename?: string; description?: string }[];
}

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

export interface Limits {
  maxFileBytes: number;
}

const SUPPRESS_EMBEDS = 1 << 2;
const EPHEMERAL = 1 << 6;
const SUPPRESS_NOTIFICATIONS = 1 << 12;
const IS_VOICE_MESSAGE = 1 << 13;
const IS_COMPONENTS_V2 = 1 << 15;
const CREATE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2;

/** Flags Discord keeps on create; others are dropped. EPHEMERAL only exists for interaction responses. */
export function settableFlags(flags: number | undefined, interaction: boolean): number {
  const mask = interaction ? CREATE_FLAGS | EPHEMERAL : CREATE_FLAGS;
  return (flags ?? 0) & mask;
}

export const Flags = { SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2, LOADING: 1 << 7 };

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function maxLen(errors: Record<string, unknown>[], path: (string | number)[], value: unknown, max: number): void {
  if (typeof value === 'string' && value.length > max) {
    errors.push(formError(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`));
  }
}

function embedLength(e: Record<string, unknown>): number {
  const fields = Array.isArray(e.fields) ? (e.fields as Record<string, unknown>[]) : [];
  const footer = (e.footer ?? {}) as Record<string, unknown>;
  const author = (e.author ?? {}) as Record<string, unknown>;
  return (
    str(e.title).length +
    str(e.description).length +
    str(footer.text).length +
    str(author.name).length +
    fields.reduce((n, f) => n + str(f.name).length + str(f.value).length, 0)
  );
}

function checkEmbeds(errors: Record<string, unknown>[], embeds: unknown): void {
  if (embeds === undefined || embeds === null) return;
  if (!Array.isArray(embeds)) {
    errors.push(formError(['embeds'], 'BASE_TYPE_ARRAY', 'Must be an array.'));
    return;
  }
  if (embeds.length > 10) errors.push(formError(['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.'));
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    maxLen(errors, ['embeds', i, 'title'], e.title, 256);
    maxLen(errors, ['embeds', i, 'description'], e.description, 4096);
    maxLen(errors, ['embeds', i, 'footer', 'text'], (e.footer as Record<string, unknown> | undefined)?.text, 2048);
    maxLen(errors, ['embeds', i, 'author', 'name'], (e.author as Record<string, unknown> | undefined)?.name, 256);
    const fields = Array.isArray(e.fields) ? (e.fields as Record<string, unknown>[]) : [];
    if (fields.length > 25) {
      errors.push(formError(['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.'));
    }
    fields.forEach((f, j) => {
      maxLen(errors, ['embeds', i, 'fields', j, 'name'], f.name, 256);
      maxLen(errors, ['embeds', i, 'fields', j, 'value'], f.value, 1024);
    });
    total += embedLength(e);
  });
  if (total > 6000) {
    errors.push(formError(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000'));
  }
}

function checkComponents(errors: Record<string, unknown>[], components: unknown, flags: number): void {
  if (components === undefined || components === null) return;
  if (!Array.isArray(components)) {
    errors.push(formError(['components'], 'BASE_TYPE_ARRAY', 'Must be an array.'));
    return;
  }
  if ((flags & IS_COMPONENTS_V2) !== 0) {
    if (components.length > 40) {
      errors.push(formError(['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 40 or fewer in length.'));
    }
    return;
  }
  if (components.length > 5) {
    errors.push(formError(['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.'));
  }
  const seen = new Set<string>();
  components.forEach((rawRow, i) => {
    const row = (rawRow ?? {}) as Record<string, unknown>;
    if (row.type !== 1) {
      errors.push(formError(['components', i, 'type'], 'UNION_TYPE_CHOICES', 'Value must be one of {1}.'));
      return;
    }
    const children = Array.isArray(row.components) ? (row.components as Record<string, unknown>[]) : [];
    if (children.length === 0 || children.length > 5) {
      errors.push(
        formError(['components', i, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.'),
      );
    }
    const hasSelect = children.some((c) => c.type !== 2);
    if (hasSelect && children.length > 1) {
      errors.push(
        formError(
          ['components', i, 'components'],
          'COMPONENT_LAYOUT_WIDTH_EXCEEDED',
          'The specified component exceeds the maximum width',
        ),
      );
    }
    children.forEach((c, j) => {
      const path = ['components', i, 'components', j];
      const isLink = c.type === 2 && c.style === 5;
      const isPremium = c.type === 2 && c.style === 6;
      if (isLink) {
        if (typeof c.url !== 'string')
          errors.push(formError([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required'));
        if (c.custom_id !== undefined) {
          errors.push(
            formError(
              [...path, 'custom_id'],
              'BUTTON_COMPONENT_CUSTOM_ID_DISALLOWED',
              'A custom id is not allowed on link buttons',
            ),
          );
        }
      } else if (!isPremium) {
        const id = c.custom_id;
        if (typeof id !== 'string') {
          errors.push(formError([...path, 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required'));
        } else if (id.length < 1 || id.length > 100) {
          errors.push(
            formError([...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.'),
          );
        } else if (seen.has(id)) {
          errors.push(
            formError(
              [...path, 'custom_id'],
              'COMPONENT_CUSTOM_ID_DUPLICATED',
              'Component custom id cannot be duplicated',
            ),
          );
        } else {
          seen.add(id);
        }
      }
      if (c.type === 2) maxLen(errors, [...path, 'label'], c.label, 80);
    });
  });
}

function checkAllowedMentions(errors: Record<string, unknown>[], am: unknown): void {
  if (am === undefined || am === null) return;
  const a = am as AllowedMentions;
  const parse = a.parse ?? [];
  for (const [i, p] of parse.entries()) {
    if (!['users', 'roles', 'everyone'].includes(p)) {
      errors.push(
        formError(['allowed_mentions', 'parse', i], 'ENUM_TYPE_COERCE', `Value "${p}" is not a valid enum value.`),
      );
    }
  }
  if (parse.includes('users') && (a.users?.length ?? 0) > 0) {
    errors.push(
      formError(
        ['allowed_mentions'],
        'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
        'parse:["users"] and users: [ids] are mutually exclusive.',
      ),
    );
  }
  if (parse.includes('roles') && (a.roles?.length ?? 0) > 0) {
    errors.push(
      formError(
        ['allowed_mentions'],
        'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
        'parse:["roles"] and roles: [ids] are mutually exclusive.',
      ),
    );
  }
  if ((a.users?.length ?? 0) > 100 || (a.roles?.length ?? 0) > 100) {
    errors.push(formError(['allowed_mentions'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.'));
  }
}

function mergeErrors(list: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const merge = (target: Record<string, unknown>, src: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(src)) {
      if (k === '_errors') {
        target._errors = [...((target._errors as unknown[]) ?? []), ...(v as unknown[])];
      } else {
        target[k] ??= {};
        merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
      }
    }
  };
  for (const e of list) merge(out, e);
  return out;
}

/**
 * Validates a create/edit payload. `partial` (edits) allows an empty body; creates must carry something to show.
 * Throws ApiError (400 50035 / 50006, 413 40005).
 */
export function validateMessage(input: MessageInput, files: UploadedFile[], limits: Limits, partial: boolean): void {
  for (const f of files) if (f.content.length > limits.maxFileBytes) throw Errors.tooLarge();
  const errors: Record<string, unknown>[] = [];
  if (input.content !== undefined && input.content !== null && typeof input.content !== 'string') {
    errors.push(formError(['content'], 'BASE_TYPE_STRING', 'Must be a string.'));
  }
  maxLen(errors, ['content'], input.content, 2000);
  checkEmbeds(errors, input.embeds);
  checkComponents(errors, input.components, input.flags ?? 0);
  checkAllowedMentions(errors, input.allowed_mentions);
  if ((input.flags ?? 0) & IS_COMPONENTS_V2 && (input.content || (input.embeds?.length ?? 0) > 0)) {
    errors.push(
      formError(
        ['content'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ),
    );
  }
  if (errors.length > 0) throw Errors.invalidForm(mergeErrors(errors));
  if (!partial) {
    const empty =
      !input.content &&
      (input.embeds?.length ?? 0) === 0 &&
      (input.components?.length ?? 0) === 0 &&
      files.length === 0;
    if (empty) throw Errors.emptyMessage();
  }
}

export interface MentionContext {
  /** 'message' (bot message: users, roles and everyone by default) or 'interaction' (responses/webhooks: users only). */
  source: 'message' | 'interaction';
  canMentionEveryone: boolean;
  isRoleMentionable: (roleId: string) => boolean;
}

export interface MentionResult {
  mentionedUsers: string[];
  mentionedRoles: string[];
  mentionsEveryone: boolean;
  pinged: { everyone: boolean; users: string[]; roles: string[] };
}

export function computeMentions(content: string, am: AllowedMentions | undefined, ctx: MentionContext): MentionResult {
  const users = [...new Set([...content.matchAll(/<@!?(\d{15,21})>/g)].map((m) => m[1] as string))];
  const roles = [...new Set([...content.matchAll(/<@&(\d{15,21})>/g)].map((m) => m[1] as string))];
  const everyone = /@(everyone|here)/.test(content);
  const rules = am ?? { parse: ctx.source === 'message' ? ['users', 'roles', 'everyone'] : ['users'] };
  const parse = rules.parse ?? [];
  const pingedUsers = users.filter((id) => parse.includes('users') || (rules.users ?? []).includes(id));
  const pingedRoles = roles.filter(
    (id) =>
      (parse.includes('roles') || (rules.roles ?? []).includes(id)) &&
      (ctx.isRoleMentionable(id) || ctx.canMentionEveryone),
  );
  const pingEveryone = everyone && parse.includes('everyone') && ctx.canMentionEveryone;
  return {
    mentionedUsers: users,
    mentionedRoles: roles,
    mentionsEveryone: pingEveryone,
    pinged: { everyone: pingEveryone, users: pingedUsers, roles: pingedRoles },
  };
}

export { ApiError };
