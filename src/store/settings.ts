/**
 * Settings repository: small JSON values under `s:<key>`, each stored as { v: 1, value }.
 * The bot keeps e.g. 'commandsHash' here. An unreadable value raises StoreError 'corrupt' rather than reading as
 * "absent", so a caller never silently replaces something it could not read.
 */
import type { Backend } from './backend.ts';
import { StoreError } from './errors.ts';

const SETTINGS_VERSION = 1;
const settingKey = (key: string) => `s:${encodeURIComponent(key)}`;

export class SettingsRepository {
  constructor(private readonly backend: Backend) {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.backend.get(settingKey(key));
    if (raw === undefined) return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      throw corrupt(key, 'not valid JSON');
    }
    const v = (doc as { v?: unknown } | null)?.v;
    if (typeof v === 'number' && v > SETTINGS_VERSION) {
      throw corrupt(key, `stored by a newer ptero-bridge (schema v${v})`);
    }
    if (v !== SETTINGS_VERSION || !Object.hasOwn(doc as object, 'value')) throw corrupt(key, 'not a settings record');
    return (doc as { value: T }).value;
  }

  async set<T>(key: string, value: T): Promise<void> {
    if (value === undefined) throw new TypeError(`setting ${key}: undefined cannot be stored`);
    await this.backend.set(settingKey(key), JSON.stringify({ v: SETTINGS_VERSION, value }));
  }
}

function corrupt(key: string, why: string): StoreError {
  return new StoreError(
    'corrupt',
    `setting ${JSON.stringify(key)} is unreadable: ${why}`,
    'A stored setting is unreadable.',
  );
}
