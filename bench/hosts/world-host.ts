/**
 * Child process: the Discord double and the panel+Wings double, plus the load generators and meters that must sit
 * next to them (emitting console lines, timing when a line reaches Discord's message store, counting what arrived).
 * Every time here is this process's performance.now(), so latencies never compare two clocks.
 */
import { performance } from 'node:perf_hooks';
import { type InteractionHandle, type MemberRecord, startDiscordDouble } from '../../test/doubles/discord/index.ts';
import {
  type PanelWingsDoubleOptions,
  type ServerHandle,
  startPanelWingsDouble,
} from '../../test/doubles/panel-wings/index.ts';
import { plainLine } from '../lib/lines.ts';
import { serve } from '../lib/rpc.ts';
import { delay } from '../lib/wait.ts';

type Discord = Awaited<ReturnType<typeof startDiscordDouble>>;
type Panel = Awaited<ReturnType<typeof startPanelWingsDouble>>;

export interface WorldInfo {
  panelUrl: string;
  apiBase: string;
  botToken: string;
  guildId: string;
  consoleChannelId: string;
  generalChannelId: string;
  adminId: string;
}

export interface ServerInfo {
  identifier: string;
  uuid: string;
  apiKey: string;
}

export interface Accounting {
  total: number;
  inline: number;
  attached: number;
  missing: number;
  duplicated: number;
  feedMessages: number;
  inlineMessages: number;
  meanInlineChars: number;
  /** Content length of each inline message holding flood lines, in channel order. */
  inlineLengths: number[];
  attachmentMessages: number;
}

export interface CmdSample {
  /** invokeCommand → the Wings double receives `send command`. */
  toCommandMs: number;
  /** invokeCommand → the deferral callback reaches the Discord double (ms resolution: the double stamps Date.now()). */
  toDeferMs: number;
}

let discord: Discord | undefined;
let panel: Panel | undefined;
let admin: MemberRecord | undefined;
const TAG = /\b([A-Z])(\d{7})\b/g;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`world-host: ${what} not started`);
  return value;
}

function server(uuid: string): ServerHandle {
  const s = need(panel, 'panel').server(uuid);
  if (!s) throw new Error(`world-host: no server ${uuid}`);
  return s;
}

function waitForCommand(uuid: string, text: string, timeoutMs: number): Promise<number> {
  const events = server(uuid).events;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off('command', onCommand);
      reject(new Error(`no command "${text}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onCommand = (command: string) => {
      if (command !== text) return;
      const at = performance.now();
      clearTimeout(timer);
      events.off('command', onCommand);
      resolve(at);
    };
    events.on('command', onCommand);
  });
}

serve(
  {
    async start(options: { panel?: PanelWingsDoubleOptions } = {}): Promise<WorldInfo> {
      discord = await startDiscordDouble({ heartbeatMs: 5000 });
      panel = await startPanelWingsDouble(options.panel ?? {});
      const guild = discord.addGuild({ name: 'Bench', channels: ['general', 'console'] });
      admin = discord.addMember(guild.id, { username: 'bench-admin', permissions: ['ManageGuild'] });
      return {
        panelUrl: panel.panelUrl,
        apiBase: discord.apiBase,
        botToken: discord.botToken,
        guildId: guild.id,
        consoleChannelId: guild.channel('console').id,
        generalChannelId: guild.channel('general').id,
        adminId: admin.user.id,
      };
    },

    /** A running server with an owner key. */
    async addServer(name: string): Promise<ServerInfo> {
      const p = need(panel, 'panel');
      const s = p.addServer({ name });
      const apiKey = p.addApiKey({ servers: { [s.identifier]: ['*'] } });
      await s.power('start');
      const deadline = Date.now() + 10_000;
      while (s.state !== 'running') {
        if (Date.now() > deadline) throw new Error('server did not reach running');
        await delay(5);
      }
      return { identifier: s.identifier, uuid: s.uuid, apiKey };
    },

    openSockets(uuid: string): number {
      return need(panel, 'panel').metrics.openSockets(uuid);
    },

    /**
     * Emits `rate` lines/s for `durationMs` (every 10 ms the lines due so far, one Wings frame each). Lines are tagged
     * `${prefix}0000000`, numbered from 0. Returns how many were emitted and how long it took.
     */
    async flood(o: { uuid: string; rate: number; durationMs: number; width: number; prefix: string }) {
      const s = server(o.uuid);
      const started = performance.now();
      let emitted = 0;
      const total = Math.round((o.rate * o.durationMs) / 1000);
      while (emitted < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) * o.rate) / 1000));
        const batch: string[] = [];
        for (; emitted < due; emitted++) {
          batch.push(plainLine(emitted, o.width, `${o.prefix}${String(emitted).padStart(7, '0')} `));
        }
        if (batch.length > 0) s.emitConsole(batch);
        await delay(10);
      }
      return { emitted, ms: performance.now() - started };
    },

    /** Emits one tagged line after each quiet gap and times its arrival in the channel's message store. */
    async firstLine(o: { uuid: string; channelId: string; samples: number; gapMs: number; prefix: string }) {
      const d = need(discord, 'discord');
      const s = server(o.uuid);
      const out: number[] = [];
      for (let i = 0; i < o.samples; i++) {
        await delay(o.gapMs);
        const tag = `${o.prefix}${String(i).padStart(7, '0')}`;
        const started = performance.now();
        const arrived = d.waitForMessage(o.channelId, (m) => m.content.includes(tag), 10_000);
        s.emitConsole(plainLine(i, 120, `${tag} `));
        await arrived;
        out.push(performance.now() - started);
      }
      return out;
    },

    /** Every tagged line of `prefix` found in the channel (message text = inline, attachments = attached). */
    account(o: { channelId: string; prefix: string; total: number }): Accounting {
      const d = need(discord, 'discord');
      const seen = new Uint8Array(o.total);
      let inline = 0;
      let attached = 0;
      let duplicated = 0;
      let feedMessages = 0;
      let inlineMessages = 0;
      let inlineChars = 0;
      const inlineLengths: number[] = [];
      let attachmentMessages = 0;
      const count = (text: string): number => {
        let n = 0;
        for (const m of text.matchAll(TAG)) {
          if (m[1] !== o.prefix) continue;
          const k = Number(m[2]);
          if (k >= o.total) continue;
          if (seen[k]! > 0) duplicated++;
          seen[k] = 1;
          n++;
        }
        return n;
      };
      for (const m of d.messages(o.channelId)) {
        const inMessage = count(m.content);
        let inFiles = 0;
        for (const a of m.attachments) inFiles += count(a.content.toString('utf8'));
        inline += inMessage;
        attached += inFiles;
        if (inMessage + inFiles === 0) continue;
        feedMessages++;
        if (m.attachments.length > 0) attachmentMessages++;
        else {
          inlineMessages++;
          inlineChars += m.content.length;
          inlineLengths.push(m.content.length);
        }
      }
      let missing = 0;
      for (let k = 0; k < o.total; k++) if (seen[k] === 0) missing++;
      return {
        total: o.total,
        inline,
        attached,
        missing,
        duplicated,
        feedMessages,
        inlineMessages,
        meanInlineChars: inlineMessages > 0 ? inlineChars / inlineMessages : 0,
        inlineLengths,
        attachmentMessages,
      };
    },

    discordMetrics() {
      const m = need(discord, 'discord').metrics;
      return {
        requests: m.requests,
        rateLimited: m.rateLimited,
        posts: m.requestsByRoute.get('POST /channels/:channel/messages') ?? 0,
        edits: m.requestsByRoute.get('PATCH /channels/:channel/messages/:message') ?? 0,
      };
    },

    /** Every interaction callback answers `ms` later (Discord's real round trip is tens of ms). */
    setCallbackLatency(ms: number): void {
      const d = need(discord, 'discord');
      d.faults.clear();
      if (ms > 0) d.faults.latency({ route: 'POST /interactions/:id/:token/callback', ms });
    },

    /** `/cmd` through the bot, one at a time; each waits for the reply before the next. */
    async cmdBot(o: { guildId: string; channelId: string; uuid: string; samples: number; gapMs: number }) {
      const d = need(discord, 'discord');
      const member = need(admin, 'admin');
      const out: CmdSample[] = [];
      for (let i = 0; i < o.samples; i++) {
        await delay(o.gapMs);
        const text = `say bench ${i}`;
        const received = waitForCommand(o.uuid, text, 10_000);
        const wall = Date.now();
        const started = performance.now();
        const handle: InteractionHandle = d.invokeCommand({
          guildId: o.guildId,
          channelId: o.channelId,
          member,
          name: 'cmd',
          options: { command: text },
        });
        const at = await received;
        await handle.waitForReply((r) => r.kind !== 'callback', 10_000);
        const defer = handle.responses.find((r) => r.kind === 'callback');
        out.push({ toCommandMs: at - started, toDeferMs: defer ? defer.at - wall : Number.NaN });
      }
      return out;
    },

    /**
     * The raw baseline with the same two hops as the bot path (a frame to a client, a frame back to Wings): emit
     * `ping N` as console output; a bare ws client in the parent answers `send command pong N`.
     */
    async rawLoop(o: { uuid: string; samples: number; gapMs: number }) {
      const s = server(o.uuid);
      const out: number[] = [];
      for (let i = 0; i < o.samples; i++) {
        await delay(o.gapMs);
        const received = waitForCommand(o.uuid, `pong ${i}`, 10_000);
        const started = performance.now();
        s.emitConsole(`ping ${i}`);
        out.push((await received) - started);
      }
      return out;
    },

    memory: () => process.memoryUsage(),
  },
  async () => {
    await panel?.close();
    await discord?.close();
  },
);
