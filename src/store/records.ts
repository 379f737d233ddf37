/**
 * The stored form of a binding (schema v2) and its conversion to and from the in-memory Binding.
 *
 *   { v: 2, binding: { …every field except apiKey }, apiKey: SealedSecret }
 *
 * v2 added `commandPolicy` and `redaction`. A record without them (every v1 record) means the defaults: deny list
 * op/deop/execute, IPs hidden (src/policy/types.ts, commandPolicyOf/redactionOf). Such a record is still written as v1,
 * so an older build keeps reading it; a record that carries either field is written as v2, which an older build refuses
 * ("stored by a newer ptero-bridge") instead of silently dropping the fields and running with no deny list.
 *
 * The API key is sealed with AAD naming the guild and binding id, so a ciphertext copied into another record fails.
 * Decoding never throws: anything unreadable becomes { ok: false, error } with a sentence saying what is wrong and
 * what to do; the plaintext name (when readable) is kept so duplicate checks and `/unbind` still work.
 */
import { z } from 'zod';
import {
  type CommandPolicy,
  MAX_PATTERN_LENGTH,
  MAX_POLICY_WORDS,
  MAX_REDACTION_RULES,
  MAX_WORD_LENGTH,
  type RedactionSettings,
} from '../policy/types.ts';
import { openSecret, SecretBoxError, sealSecret } from './secret-box.ts';

export const SCHEMA_VERSION = 2;

export interface Binding {
  id: string;
  guildId: string;
  name: string;
  panelUrl: string;
  serverId: string;
  serverUuid: string;
  apiKey: string; // plaintext in memory only; encrypted in the store
  consoleChannelId: string;
  moderatorRoleId?: string;
  alertRoleId?: string;
  panelMessage?: { channelId: string; messageId: string };
  createdBy: string;
  createdAt: string;
  /** Absent = the defaults (commandPolicyOf/redactionOf in src/policy/types.ts). */
  commandPolicy?: CommandPolicy;
  redaction?: RedactionSettings;
}

export type BindingRecord =
  | { ok: true; binding: Binding }
  | { ok: false; id: string; guildId: string; name: string; error: string };

const text = z.string().min(1);
const storedBindingSchema = z.object({
  id: text,
  guildId: text,
  name: text,
  panelUrl: text,
  serverId: text,
  serverUuid: text,
  consoleChannelId: text,
  moderatorRoleId: text.optional(),
  alertRoleId: text.optional(),
  panelMessage: z.object({ channelId: text, messageId: text }).optional(),
  createdBy: text,
  createdAt: text,
  commandPolicy: z
    .object({
      mode: z.enum(['allow', 'deny']),
      words: z.array(z.string().min(1).max(MAX_WORD_LENGTH)).max(MAX_POLICY_WORDS),
    })
    .optional(),
  redaction: z
    .object({
      ips: z.boolean(),
      rules: z
        .array(
          z.object({
            pattern: z.string().min(1).max(MAX_PATTERN_LENGTH),
            addedBy: text.optional(),
            addedAt: text.optional(),
          }),
        )
        .max(MAX_REDACTION_RULES),
    })
    .optional(),
});
export const bindingSchema = storedBindingSchema.extend({ apiKey: text });

type StoredBinding = z.infer<typeof storedBindingSchema>;

/** What decoding learned, readable or not: enough for duplicate checks against a broken record. */
export interface DecodedRecord {
  record: BindingRecord;
  name?: string;
  panelUrl?: string;
  serverUuid?: string;
  /** Why it is unreadable, mapped to a StoreError code by callers that must refuse. */
  failure?: 'corrupt' | 'decrypt_failed';
}

export const UNREADABLE_NAME = '(unreadable)';

function apiKeyAad(guildId: string, id: string): string {
  return JSON.stringify(['ptero-bridge/binding/apiKey/v1', guildId, id]);
}

export function encodeBinding(binding: Binding, key: Buffer): string {
  const { apiKey, ...rest } = binding;
  const stored: StoredBinding = storedBindingSchema.parse(rest); // drops unknown fields, rejects missing ones
  const usesV2 = stored.commandPolicy !== undefined || stored.redaction !== undefined;
  return JSON.stringify({
    v: usesV2 ? SCHEMA_VERSION : 1,
    binding: stored,
    apiKey: sealSecret(key, apiKey, apiKeyAad(binding.guildId, binding.id)),
  });
}

export function decodeBinding(raw: string, where: { guildId: string; id: string }, key: Buffer): DecodedRecord {
  const fail = (
    failure: DecodedRecord['failure'],
    error: string,
    known: Partial<StoredBinding> = {},
  ): DecodedRecord => ({
    record: { ok: false, id: where.id, guildId: where.guildId, name: known.name ?? UNREADABLE_NAME, error },
    failure,
    ...(known.name !== undefined ? { name: known.name } : {}),
    ...(known.panelUrl !== undefined ? { panelUrl: known.panelUrl } : {}),
    ...(known.serverUuid !== undefined ? { serverUuid: known.serverUuid } : {}),
  });

  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('corrupt', 'The stored binding is corrupt (not valid JSON). Remove it and bind the server again.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('corrupt', 'The stored binding is corrupt (not a record). Remove it and bind the server again.');
  }
  const doc = parsed as { v?: unknown; binding?: unknown; apiKey?: unknown };
  const known = readableFields(doc.binding);
  if (typeof doc.v !== 'number' || !Number.isInteger(doc.v) || doc.v < 1) {
    return fail(
      'corrupt',
      'The stored binding is corrupt (no schema version). Remove it and bind the server again.',
      known,
    );
  }
  if (doc.v > SCHEMA_VERSION) {
    return fail(
      'corrupt',
      `This binding was stored by a newer ptero-bridge (schema v${doc.v}); this version understands v${SCHEMA_VERSION}. Upgrade ptero-bridge to use it; it is left untouched.`,
      known,
    );
  }
  const result = storedBindingSchema.safeParse(doc.binding);
  if (!result.success) {
    const field = result.error.issues[0]?.path.join('.') || 'binding';
    return fail(
      'corrupt',
      `The stored binding is corrupt (bad field "${field}"). Remove it and bind the server again.`,
      known,
    );
  }
  const stored = result.data;
  if (stored.id !== where.id || stored.guildId !== where.guildId) {
    return fail(
      'corrupt',
      'The stored binding is corrupt (it names a different binding or guild than where it is stored). Remove it and bind the server again.',
      stored,
    );
  }
  let apiKey: string;
  try {
    apiKey = openSecret(key, doc.apiKey, apiKeyAad(stored.guildId, stored.id));
  } catch (error) {
    const reason = error instanceof SecretBoxError ? error.reason : 'malformed';
    const message =
      reason === 'wrong_key'
        ? `Cannot decrypt the API key of “${stored.name}”: it was saved with a different ENCRYPTION_KEY. Restore the original ENCRYPTION_KEY, or remove this binding and bind the server again.`
        : reason === 'tampered'
          ? `Cannot decrypt the API key of “${stored.name}”: the stored record was altered or copied from another binding. Remove this binding and bind the server again.`
          : `Cannot read the API key of “${stored.name}”: the stored value is malformed. Remove this binding and bind the server again.`;
    return fail(reason === 'malformed' ? 'corrupt' : 'decrypt_failed', message, stored);
  }
  return {
    record: { ok: true, binding: { ...stored, apiKey } },
    name: stored.name,
    panelUrl: stored.panelUrl,
    serverUuid: stored.serverUuid,
  };
}

/** Plaintext fields of a record that failed validation, taken only when they are strings. */
function readableFields(binding: unknown): Partial<StoredBinding> {
  if (typeof binding !== 'object' || binding === null) return {};
  const b = binding as Record<string, unknown>;
  const pick = (k: string) => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : undefined);
  const out: Partial<StoredBinding> = {};
  const name = pick('name');
  const panelUrl = pick('panelUrl');
  const serverUuid = pick('serverUuid');
  if (name !== undefined) out.name = name;
  if (panelUrl !== undefined) out.panelUrl = panelUrl;
  if (serverUuid !== undefined) out.serverUuid = serverUuid;
  return out;
}
