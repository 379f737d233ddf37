/**
 * Small conveniences over the end-to-end world: run a command as someone, read the settled reply text, and collect
 * everything the bot ever said or logged (for the secret greps).
 */
import type { InteractionHandle, MemberRecord } from '../doubles/discord/index.ts';
import { eventually, type World } from './harness.ts';

export interface RunInput {
  name: string;
  member?: MemberRecord;
  subcommand?: string;
  options?: Record<string, string | number | boolean>;
  channel?: string;
  /** As a guild's command-permission override would allow (the member lacks default_member_permissions). */
  bypassPermissions?: boolean;
}

/** Invokes a slash command in the world's guild (default: as the admin, in #general). */
export function run(world: World, input: RunInput): InteractionHandle {
  return world.discord.invokeCommand({
    guildId: world.guild.id,
    channelId: world.guild.channel(input.channel ?? 'general').id,
    member: input.member ?? world.admin,
    name: input.name,
    ...(input.subcommand ? { subcommand: input.subcommand } : {}),
    ...(input.options ? { options: input.options } : {}),
    ...(input.bypassPermissions ? { bypassPermissions: true } : {}),
  });
}

/** The reply text once it is non-empty (a defer shows an empty "thinking" message) and matches `predicate`. */
export function replyText(
  handle: InteractionHandle,
  predicate: (text: string) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<string> {
  return eventually(
    () => {
      const text = handle.final()?.content;
      return text !== undefined && text !== '' && predicate(text) ? text : undefined;
    },
    `a reply to /${String((handle.payload.data as { name?: string } | undefined)?.name)}`,
    timeoutMs,
  );
}

/** Runs a command and returns its settled reply text. */
export async function runText(world: World, input: RunInput, predicate?: (text: string) => boolean): Promise<string> {
  return replyText(run(world, input), predicate);
}

/**
 * Everything visible to Discord users: every message (ephemeral, deleted and earlier edits included), every interaction
 * response body (autocomplete choices too), as one string.
 */
export function everythingSaid(world: World): string {
  const parts: string[] = [];
  for (const message of world.discord.world.messages.values()) {
    parts.push(message.content, JSON.stringify(message.embeds), JSON.stringify(message.components));
    for (const edit of message.edits) parts.push(edit.content, JSON.stringify(edit.embeds));
    for (const a of message.attachments) parts.push(a.content.toString('utf8'));
  }
  for (const handle of world.discord.interactions.byId.values()) {
    for (const r of handle.responses) parts.push(JSON.stringify(r.body), JSON.stringify(r.choices ?? []));
  }
  return parts.join('\n');
}

/** A JWT as Wings tokens look: base64url header and payload of JSON objects, then a signature. */
export const JWT_SHAPE = /eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+/;

/** Fails naming which secret appeared where. */
export function findSecrets(world: World, secrets: string[]): string[] {
  const places = { logs: world.logs.text, discord: everythingSaid(world) };
  const found: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    for (const secret of secrets) if (secret && text.includes(secret)) found.push(`${secret.slice(0, 8)}… in ${where}`);
    const jwt = JWT_SHAPE.exec(text);
    if (jwt) found.push(`a JWT (${jwt[0].slice(0, 16)}…) in ${where}`);
  }
  return found;
}

/** Frames the bot sent to Wings for `uuid` that would change something (power or console). */
export function actionFrames(world: World, uuid: string): { event: string; args: string[] }[] {
  return world.panel.metrics
    .received(uuid)
    .filter((f: { event: string }) => f.event === 'set state' || f.event === 'send command');
}

/** A localhost port where nothing listens. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
