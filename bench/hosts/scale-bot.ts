/**
 * Child process: the bot's Wings side alone — one WingsHub with a subscription per binding, exactly as the Bridge
 * makes them — so RSS and CPU are the bot's. Started with --expose-gc so memory is read after a full collection.
 */

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '../../src/log.ts';
import type { ConnectionState } from '../../src/wings/connection.ts';
import { WingsHub, type WingsSubscription } from '../../src/wings/hub.ts';
import { serve } from '../lib/rpc.ts';
import { delay } from '../lib/wait.ts';
import type { ScaleTarget } from './panel-host.ts';

const sink = new (class extends Writable {
  lines = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const byte of chunk) if (byte === 0x0a) this.lines++;
    done();
  }
})();
const logger = createLogger({ level: 'info', destination: sink });
let hub: WingsHub | undefined;
const subscriptions: WingsSubscription[] = [];
let statsFrames = 0;
const rawSockets: WebSocket[] = [];
/** Highest RSS seen since init (sampled every 100 ms, no GC forced): the start burst is where memory peaks. */
let peakRss = 0;
let peakTimer: NodeJS.Timeout | undefined;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

function memory() {
  collect();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

serve(
  {
    /** Loads everything the connections use (fetch, ws) before the baseline is read. */
    async init(panelUrl: string) {
      hub = new WingsHub({ logger });
      await fetch(`${panelUrl}/api/client`).then((r) => r.arrayBuffer());
      await delay(100);
      const m = memory();
      peakRss = m.rss;
      peakTimer = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 100);
      return m;
    },

    /** Subscribes every target (plus `duplicates` second subscriptions) and waits until all are ready. */
    async connect(o: {
      panelUrl: string;
      targets: ScaleTarget[];
      duplicates: number;
      timeoutMs: number;
      /** Subscribe this many at a time, each batch after the previous one is ready (0 = all at once, as the Bridge). */
      batch?: number;
    }) {
      const h = hub!;
      const started = performance.now();
      let ready = 0;
      const readyAt: number[] = [];
      /** Why connections went to `retrying` during the start (reason text with numbers blanked), and how often. */
      const retries: Record<string, number> = {};
      const batch = o.batch ?? 0;
      for (const [i, t] of o.targets.entries()) {
        if (batch > 0 && i > 0 && i % batch === 0) {
          while (ready < i && performance.now() < started + o.timeoutMs) await delay(5);
        }
        const sub = h.subscribe({ panelUrl: o.panelUrl, serverId: t.identifier, apiKey: t.apiKey });
        subscriptions.push(sub);
        const c = sub.connection;
        c.once('ready', () => {
          ready++;
          readyAt.push(performance.now() - started);
        });
        c.on('stats', () => {
          statsFrames++;
        });
        c.on('state', (state: ConnectionState) => {
          if (state.kind !== 'retrying') return;
          const reason = state.reason.replace(/\d+/g, 'N').slice(0, 80);
          retries[reason] = (retries[reason] ?? 0) + 1;
        });
      }
      for (let i = 0; i < o.duplicates; i++) {
        const t = o.targets[i % o.targets.length]!;
        subscriptions.push(h.subscribe({ panelUrl: o.panelUrl, serverId: t.identifier, apiKey: t.apiKey }));
      }
      const deadline = started + o.timeoutMs;
      while (ready < o.targets.length && performance.now() < deadline) await delay(20);
      const states: Record<string, number> = {};
      const reasons: Record<string, number> = {};
      for (const sub of subscriptions.slice(0, o.targets.length)) {
        const s: ConnectionState = sub.connection.connectionState;
        states[s.kind] = (states[s.kind] ?? 0) + 1;
        if (s.kind === 'retrying' || s.kind === 'stopped') reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
      }
      readyAt.sort((a, b) => a - b);
      return {
        ready,
        ms: performance.now() - started,
        p50ReadyMs: readyAt[Math.floor(readyAt.length / 2)] ?? Number.NaN,
        lastReadyMs: readyAt[readyAt.length - 1] ?? Number.NaN,
        states,
        reasons,
        retries,
        hubSize: h.size,
        subscriptions: subscriptions.length,
        logLines: sink.lines,
      };
    },

    /**
     * The floor to compare with: bare `ws` clients (token from the panel, Origin, auth, JSON.parse of every frame), no
     * hub, no PanelClient, no state machine. Same targets, same double.
     */
    async connectRaw(o: { panelUrl: string; targets: ScaleTarget[]; timeoutMs: number }) {
      const started = performance.now();
      let ready = 0;
      let last = 0;
      await Promise.all(
        o.targets.map(async (t) => {
          const res = await fetch(`${o.panelUrl}/api/client/servers/${t.identifier}/websocket`, {
            headers: { Authorization: `Bearer ${t.apiKey}`, Accept: 'application/json' },
          });
          const { data } = (await res.json()) as { data: { token: string; socket: string } };
          const ws = new WebSocket(data.socket, { origin: o.panelUrl, perMessageDeflate: false });
          rawSockets.push(ws);
          ws.on('open', () => ws.send(JSON.stringify({ event: 'auth', args: [data.token] })));
          ws.on('message', (raw) => {
            const frame = JSON.parse(raw.toString()) as { event: string; args?: string[] };
            if (frame.event === 'auth success') {
              ready++;
              last = performance.now() - started;
            } else if (frame.event === 'stats') {
              JSON.parse(frame.args?.[0] ?? '{}');
              statsFrames++;
            }
          });
        }),
      );
      while (ready < o.targets.length && performance.now() < started + o.timeoutMs) await delay(20);
      return { ready, lastReadyMs: last };
    },

    /**
     * CPU share and event-loop delay over `ms`, then memory after a full collection. With `profilePath`, a CPU profile
     * of the window is written there (open it in Chrome DevTools); the profiler's own cost then inflates the CPU share.
     */
    async quiet(ms: number, profilePath?: string) {
      const session = profilePath ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const frames = statsFrames;
      const cpu = process.cpuUsage();
      const started = performance.now();
      await delay(ms);
      const used = process.cpuUsage(cpu);
      const heap = process.memoryUsage();
      const wall = performance.now() - started;
      loop.disable();
      if (session && profilePath) {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(profilePath, JSON.stringify(profile));
        session.disconnect();
      }
      return {
        cpuShare: (used.user + used.system) / 1000 / wall,
        userShare: used.user / 1000 / wall,
        systemShare: used.system / 1000 / wall,
        heapTotalBeforeGc: heap.heapTotal,
        statsPerSecond: ((statsFrames - frames) * 1000) / wall,
        loopP99Ms: loop.percentile(99) / 1e6,
        loopMaxMs: loop.max / 1e6,
        memory: memory(),
        peakRss,
        logLines: sink.lines,
      };
    },
  },
  async () => {
    if (peakTimer) clearInterval(peakTimer);
    for (const ws of rawSockets) ws.terminate();
    await hub?.closeAll();
  },
);
