// Application command registration: bulk overwrite, create, list, delete; Discord's name/description/option limits.
import type { RestServer } from './http.ts';
import type { Limit } from './ratelimit.ts';
import { ApiError, Errors, formError, snowflake } from './util.ts';

export type CommandRecord = Record<string, unknown> & { id: string; name: string; type: number };

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkOption(errors: Record<string, unknown>[], path: (string | number)[], o: Record<string, unknown>): void {
  const name = o.name;
  if (typeof name !== 'string' || !NAME.test(name) || name !== name.toLowerCase()) {
    errors.push(formError([...path, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid'));
  }
  const desc = o.description;
  if (typeof desc !== 'string' || desc.length < 1 || desc.length > 100) {
    errors.push(formError([...path, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.'));
  }
  const choices = Array.isArray(o.choices) ? (o.choices as Record<string, unknown>[]) : [];
  if (choices.length > 25) {
    errors.push(formError([...path, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.'));
  }
  choices.forEach((c, i) => {
    if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100) {
      errors.push(
        formError([...path, 'choices', i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.'),
      );
    }
  });
  if (o.autocomplete === true && choices.length > 0) {
    errors.push(
      formError([...path, 'autocomplete'], 'AUTOCOMPLETE_AND_CHOICES', 'Autocomplete and choices cannot both be set'),
    );
  }
  const options = Array.isArray(o.options) ? (o.options as Record<string, unknown>[]) : [];
  if (options.length > 25) {
    errors.push(formError([...path, 'options'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.'));
  }
  let sawOptional = false;
  const seen = new Set<string>();
  options.forEach((child, i) => {
    if (child.required === true && sawOptional) {
      errors.push(
        formError(
          [...path, 'options', i, 'required'],
          'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
          'Required options must be placed before non-required options',
        ),
      );
    }
    if (child.required !== true) sawOptional = true;
    if (typeof child.name === 'string' && seen.has(child.name)) {
      errors.push(
        formError(
          [...path, 'options', i, 'name'],
          'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS',
          'Option name already exists',
        ),
      );
    }
    if (typeof child.name === 'string') seen.add(child.name);
    checkOption(errors, [...path, 'options', i], child);
  });
}

export function validateCommand(
  errors: Record<string, unknown>[],
  path: (string | number)[],
  c: Record<string, unknown>,
): void {
  const type = typeof c.type === 'number' ? c.type : 1;
  if (type === 1) {
    checkOption(errors, path, c);
  } else if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 32) {
    errors.push(formError([...path, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.'));
  }
}

export class CommandStore {
  /** Key: 'global' or a guild id. */
  readonly scopes = new Map<string, CommandRecord[]>();
  puts = 0;

  constructor(private readonly applicationId: string) {}

  list(scope: string): CommandRecord[] {
    return this.scopes.get(scope) ?? [];
  }

  /** Commands a member of `guildId` sees: guild commands shadow nothing, both lists are visible. */
  find(guildId: string, name: string, type = 1): CommandRecord | undefined {
    return (
      this.list(guildId).find((c) => c.name === name && c.type === type) ??
      this.list('global').find((c) => c.name === name && c.type === type)
    );
  }

  private normalise(scope: string, c: Record<string, unknown>, existing?: CommandRecord): CommandRecord {
    const type = typeof c.type === 'number' ? c.type : 1;
    const dmp = c.default_member_permissions;
    return {
      id: existing?.id ?? snowflake(),
      application_id: this.applicationId,
      version: snowflake(),
      type,
      name: c.name as string,
      name_localizations: c.name_localizations ?? null,
      description: (c.description as string | undefined) ?? '',
      description_localizations: c.description_localizations ?? null,
      default_member_permissions: dmp === undefined || dmp === null ? null : String(dmp),
      dm_permission: scope === 'global' ? c.dm_permission !== false : undefined,
      contexts: scope === 'global' ? ((c.contexts as number[] | undefined) ?? null) : null,
      integration_types: (c.integration_types as number[] | undefined) ?? [0],
      nsfw: c.nsfw === true,
      ...(Array.isArray(c.options) ? { options: c.options } : {}),
      ...(scope === 'global' ? {} : { guild_id: scope }),
    };
  }

  overwrite(scope: string, body: unknown): CommandRecord[] {
    if (!Array.isArray(body)) throw Errors.invalidForm(formError([], 'BASE_TYPE_ARRAY', 'Must be an array.'));
    const errors: Record<string, unknown>[] = [];
    const chatInput = body.filter((c) => ((c as Record<string, unknown>).type ?? 1) === 1).length;
    if (chatInput > 100)
      errors.push({ _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 100 or fewer in length.' }] });
    const names = new Set<string>();
    body.forEach((c: Record<string, unknown>, i) => {
      validateCommand(errors, [i], c);
      const key = `${c.type ?? 1}:${String(c.name)}`;
      if (names.has(key)) {
        errors.push(
          formError([i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`),
        );
      }
      names.add(key);
    });
    if (errors.length > 0) throw Errors.invalidForm(Object.assign({}, ...errors));
    const before = this.list(scope);
    const next = body.map((c: Record<string, unknown>) =>
      this.normalise(
        scope,
        c,
        before.find((b) => b.name === c.name && b.type === (c.type ?? 1)),
      ),
    );
    this.scopes.set(scope, next);
    this.puts += 1;
    return next;
  }

  create(scope: string, body: Record<string, unknown>): { record: CommandRecord; created: boolean } {
    const errors: Record<string, unknown>[] = [];
    validateCommand(errors, [], body);
    if (errors.length > 0) throw Errors.invalidForm(Object.assign({}, ...errors));
    const list = [...this.list(scope)];
    const index = list.findIndex((b) => b.name === body.name && b.type === (body.type ?? 1));
    const record = this.normalise(scope, body, list[index]);
    if (index >= 0) list[index] = record;
    else list.push(record);
    this.scopes.set(scope, list);
    return { record, created: index < 0 };
  }

  remove(scope: string, id: string): void {
    const list = this.list(scope);
    if (!list.some((c) => c.id === id)) throw Errors.unknownCommand();
    this.scopes.set(
      scope,
      list.filter((c) => c.id !== id),
    );
  }

  registerRoutes(rest: RestServer, limit: Limit, guildExists: (guildId: string) => boolean): void {
    const app = (p: Record<string, string>) => {
      if (p.app !== this.applicationId) throw new ApiError(403, 50001, 'Missing Access');
    };
    const scopeOf = (p: Record<string, string>) => {
      app(p);
      if (p.guild === undefined) return 'global';
      if (!guildExists(p.guild)) throw Errors.missingAccess();
      return p.guild;
    };
    const bucket = (p: Record<string, string>) => ({ limit, major: p.guild ?? 'global' });
    for (const base of ['/applications/:app/commands', '/applications/:app/guilds/:guild/commands']) {
      rest.add({
        method: 'GET',
        path: base,
        auth: 'bot',
        bucket,
        handler: (c) => ({ status: 200, body: this.list(scopeOf(c.params)) }),
      });
      rest.add({
        method: 'PUT',
        path: base,
        auth: 'bot',
        bucket,
        handler: (c) => ({ status: 200, body: this.overwrite(scopeOf(c.params), c.body) }),
      });
      rest.add({
        method: 'POST',
        path: base,
        auth: 'bot',
        bucket,
        handler: (c) => {
          const { record, created } = this.create(scopeOf(c.params), c.body);
          return { status: created ? 201 : 200, body: record };
        },
      });
      rest.add({
        method: 'GET',
        path: `${base}/:command`,
        auth: 'bot',
        bucket,
        handler: (c) => {
          const found = this.list(scopeOf(c.params)).find((x) => x.id === c.params.command);
          if (!found) throw Errors.unknownCommand();
          return { status: 200, body: found };
        },
      });
      rest.add({
        method: 'DELETE',
        path: `${base}/:command`,
        auth: 'bot',
        bucket,
        handler: (c) => {
          this.remove(scopeOf(c.params), c.params.command as string);
          return { status: 204 };
        },
      });
    }
  }
}
