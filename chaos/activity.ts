/**
 * What people and game servers do during the chaos run: numbered console output (steady and in bursts), slash commands
 * and panel clicks from moderators and plain members, several at once. Every interaction is recorded with who asked and
 * which Wings action it could cause, for the end-of-run correlation with the frames Wings received.
 */
import type { InteractionHandle } from '../test/doubles/discord/index.ts';
import { gameLine, lineNumber } from './lines.ts';
import type { Rng } from './rng.ts';
import type { ChaosServer, ChaosWorld } from './world.ts';

export type Role = 'admin' | 'moderator' | 'member';
export type WingsAction = 'start' | 'stop' | 'restart' | 'kill' | 'command';
type Member = ChaosWorld['admin'];

export interface Asked {
  handle: InteractionHandle;
  role: Role;
  what: string;
  server: string;
  /** The Wings frame this interaction may cause (set state / send command), if any. */
  action?: WingsAction;
  /** False when Discord had no session to deliver it to (non-resumable gateway loss): Discord itself drops those. */
  deliverable: boolean;
  /** The gateway sessions it was dispatched to (those that could still be resumed when it was created). */
  sessions: string[];
}

const POWER = ['start', 'stop', 'restart', 'kill'] as const;

export class Activity {
  readonly asked: Asked[] = [];
  /** Per server: next line sequence. */
  private readonly sequence = new Map<number, number>();
  /** Per server: lines emitted while the bot had no authenticated socket, since it last had one. */
  private readonly gapLines = new Map<number, number>();
  /** Interaction or click failures of the driver itself (a disabled button, a message gone). */
  driverSkips = 0;
  emitted = 0;
  /** Panel message id per server index. */
  readonly panels = new Map<number, string>();

  constructor(
    private readonly world: ChaosWorld,
    private readonly rng: Rng,
    /** Whether the bot currently holds an authenticated socket for the server (from the double's events). */
    private readonly botAuthed: (server: ChaosServer) => boolean,
    /** Lines the driver may emit into one connection gap; Wings replays the last 150 on `send logs`. */
    private readonly maxGapLines = 100,
    /** Called right before each emit (the runner snapshots the double's outbound counters). */
    private readonly beforeEmit: (server: ChaosServer) => void = () => undefined,
  ) {}

  /** Emits up to `count` numbered lines on a running server; returns how many were emitted. */
  emitLines(server: ChaosServer, count: number): number {
    if (server.handle.state === 'offline') return 0;
    let allowed = count;
    if (!this.botAuthed(server)) {
      const used = this.gapLines.get(server.index) ?? 0;
      allowed = Math.min(count, this.maxGapLines - used);
      if (allowed <= 0) return 0;
      this.gapLines.set(server.index, used + allowed);
    } else {
      this.gapLines.set(server.index, 0);
    }
    const lines: string[] = [];
    for (let i = 0; i < allowed; i++) {
      const seq = (this.sequence.get(server.index) ?? 0) + 1;
      this.sequence.set(server.index, seq);
      lines.push(gameLine(lineNumber(server.index, seq), this.rng.int(0, 4)));
    }
    try {
      this.beforeEmit(server);
      server.handle.emitConsole(lines);
    } catch {
      return 0; // went offline between the check and the call
    }
    this.emitted += lines.length;
    return lines.length;
  }

  private resumableSessions(): string[] {
    return [...this.world.discord.gateway.sessions.values()].filter((s) => s.resumable).map((s) => s.id);
  }

  private record(
    role: Role,
    what: string,
    server: ChaosServer,
    make: () => InteractionHandle,
    action?: WingsAction,
  ): Asked | undefined {
    const sessions = this.resumableSessions();
    let handle: InteractionHandle;
    try {
      handle = make();
    } catch {
      this.driverSkips += 1;
      return undefined;
    }
    const asked: Asked = {
      handle,
      role,
      what,
      server: server.name,
      deliverable: sessions.length > 0,
      sessions,
      ...(action ? { action } : {}),
    };
    this.asked.push(asked);
    return asked;
  }

  command(
    member: Member,
    role: Role,
    server: ChaosServer,
    name: string,
    options: Record<string, string | number> = {},
    subcommand?: string,
  ): Asked | undefined {
    const { discord, guild } = this.world;
    const action: WingsAction | undefined = (POWER as readonly string[]).includes(name)
      ? (name as WingsAction)
      : name === 'cmd'
        ? 'command'
        : undefined;
    return this.record(
      role,
      `/${name}${subcommand ? ` ${subcommand}` : ''}`,
      server,
      () =>
        discord.invokeCommand({
          guildId: guild.id,
          channelId: guild.channel('general').id,
          member,
          name,
          ...(subcommand ? { subcommand } : {}),
          options: name === 'server' ? options : { server: server.name, ...options },
          // Plain members reach moderator commands only through a guild override: the bot must still refuse them.
          ...(role === 'member' ? { bypassPermissions: true } : {}),
        }),
      action,
    );
  }

  /** A click on the server's panel; a moderator's stop/restart/kill is confirmed in a second click. */
  click(member: Member, role: Role, server: ChaosServer, action: (typeof POWER)[number]): Asked | undefined {
    const { discord, guild } = this.world;
    const messageId = this.panels.get(server.index);
    if (!messageId) return undefined;
    const message = discord.message(messageId);
    const button = (message?.components ?? [])
      .flatMap((row) => ((row as { components?: unknown[] }).components ?? []) as Array<Record<string, unknown>>)
      .find((c) => typeof c.custom_id === 'string' && c.custom_id.endsWith(`:${action}`));
    if (!button || button.disabled === true) {
      this.driverSkips += 1;
      return undefined;
    }
    const customId = String(button.custom_id);
    const channelId = guild.channel('general').id;
    const asked = this.record(
      role,
      `panel ${action}`,
      server,
      () => discord.clickButton({ guildId: guild.id, channelId, member, messageId, customId }),
      action === 'start' ? 'start' : undefined,
    );
    if (!asked || action === 'start' || role === 'member') return asked;
    // The confirmation comes back as an ephemeral reply with Yes/Cancel; a moderator says yes.
    void asked.handle
      .waitForReply((r) => Array.isArray(r.components) && r.components.length > 0, 10_000)
      .then(() => {
        const reply = asked.handle.final();
        if (!reply) return;
        this.record(
          role,
          `panel ${action} confirm`,
          server,
          () =>
            discord.clickButton({
              guildId: guild.id,
              channelId,
              member,
              messageId: reply.id,
              customId: `${customId}:confirm`,
            }),
          action,
        );
      })
      .catch(() => {
        this.driverSkips += 1;
      });
    return asked;
  }

  /** One random thing someone does. */
  randomInteraction(server: ChaosServer): void {
    const { admin, moderators, members } = this.world;
    const moderator = this.rng.pick(moderators);
    const member = this.rng.pick(members);
    switch (this.rng.int(0, 9)) {
      case 0:
        this.command(member, 'member', server, 'stats');
        return;
      case 1:
        this.command(moderator, 'moderator', server, 'cmd', { command: `say hello ${this.rng.int(1, 999)}` });
        return;
      case 2:
        this.command(moderator, 'moderator', server, 'logs', { lines: this.rng.int(1, 40) });
        return;
      case 3:
        this.command(admin, 'admin', server, 'server', {}, 'list');
        return;
      case 4:
        this.command(member, 'member', server, this.rng.pick(POWER));
        return;
      case 5:
        this.command(member, 'member', server, 'cmd', { command: 'op bob' });
        return;
      case 6:
        this.click(member, 'member', server, this.rng.pick(POWER));
        return;
      case 7:
        this.command(admin, 'admin', server, 'stats');
        return;
      default:
        if (server.handle.state === 'offline') this.command(moderator, 'moderator', server, 'start');
        else this.command(member, 'member', server, 'stats');
    }
  }

  /** Several members at once: two moderators racing power actions, two members trying the same. */
  powerStorm(server: ChaosServer): void {
    const { moderators, members } = this.world;
    const [m1, m2] = moderators;
    const [p1, p2] = members;
    if (!m1 || !m2 || !p1 || !p2) return;
    const running = server.handle.state !== 'offline';
    this.command(m1, 'moderator', server, running ? this.rng.pick(['restart', 'stop'] as const) : 'start');
    if (this.rng.chance(0.5)) this.click(m2, 'moderator', server, running ? 'restart' : 'start');
    else this.command(m2, 'moderator', server, running ? 'kill' : 'start');
    this.command(p1, 'member', server, this.rng.pick(POWER));
    this.click(p2, 'member', server, this.rng.pick(POWER));
    this.command(p2, 'member', server, 'cmd', { command: 'stop' });
  }
}
