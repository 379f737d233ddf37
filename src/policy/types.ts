/**
 * The per-binding settings of the policy module, stored on the binding (src/store/records.ts). Pure data and defaults;
 * evaluation lives in command-policy.ts and redaction.ts.
 */

export type PolicyMode = 'allow' | 'deny';

/** Which console commands /cmd may send, judged by their first word (see command-policy.ts for the normalisation). */
export interface CommandPolicy {
  mode: PolicyMode;
  /** Normalised command words (lower case, no slash, no namespace). */
  words: string[];
}

export interface RedactionRule {
  /** A JavaScript regular expression (source only), checked by validatePattern before it is stored. */
  pattern: string;
  addedBy?: string;
  addedAt?: string;
}

/** What is hidden from console lines before they reach Discord. Keys and JWTs are always hidden; this adds the rest. */
export interface RedactionSettings {
  /** Hide IPv4/IPv6 addresses (default on). */
  ips: boolean;
  rules: RedactionRule[];
}

/** DiscordSRV's default blocked console commands: the ones that hand out operator rights or run anything as anyone. */
export const DEFAULT_DENY_WORDS: readonly string[] = ['op', 'deop', 'execute'];

export const MAX_POLICY_WORDS = 100;
export const MAX_WORD_LENGTH = 64;
export const MAX_REDACTION_RULES = 20;
export const MAX_PATTERN_LENGTH = 200;

export function defaultCommandPolicy(): CommandPolicy {
  return { mode: 'deny', words: [...DEFAULT_DENY_WORDS] };
}

export function defaultRedaction(): RedactionSettings {
  return { ips: true, rules: [] };
}

/** The binding's policy, or the default for a binding stored before policies existed. */
export function commandPolicyOf(binding: { commandPolicy?: CommandPolicy | undefined }): CommandPolicy {
  return binding.commandPolicy ?? defaultCommandPolicy();
}

export function redactionOf(binding: { redaction?: RedactionSettings | undefined }): RedactionSettings {
  return binding.redaction ?? defaultRedaction();
}
