/**
 * Child process: the panel+Wings double alone, with many running servers sending stats, for the scale benchmark.
 * Its CPU and memory are its own, not the bot's.
 */
import { type PanelWingsDouble, startPanelWingsDouble } from '../../test/doubles/panel-wings/index.ts';
import { serve } from '../lib/rpc.ts';
import { delay } from '../lib/wait.ts';

export interface ScaleTarget {
  identifier: string;
  uuid: string;
  apiKey: string;
}

export interface PanelCounts {
  requests: number;
  status429: number;
  wsTokenRequests: number;
  /** Most websocket-token requests any one server saw (the panel allows 5 per minute per server). */
  wsTokenMaxPerServer: number;
  openSockets: number;
  serversWithOneSocket: number;
  serversWithMoreSockets: number;
  upgradesRefused: number;
  firstRequestAt: number;
  last429At: number;
}

let double: PanelWingsDouble | undefined;
const WS_ROUTE = 'GET /api/client/servers/{server}/websocket';

serve(
  {
    async start(options: { statsIntervalMs: number }): Promise<string> {
      double = await startPanelWingsDouble({ statsIntervalMs: options.statsIntervalMs });
      return double.panelUrl;
    },

    /** `count` running servers; every `perKey` of them share one user and one API key. */
    async addServers(o: { count: number; perKey: number }): Promise<ScaleTarget[]> {
      const d = double!;
      const out: ScaleTarget[] = [];
      for (let i = 0; i < o.count; i += o.perKey) {
        const group = [];
        for (let k = i; k < Math.min(o.count, i + o.perKey); k++) {
          group.push(d.addServer({ name: `S${k}`, state: 'running', startDelayMs: 10 }));
        }
        const apiKey = d.addApiKey({ servers: Object.fromEntries(group.map((s) => [s.identifier, ['*']])) });
        for (const s of group) out.push({ identifier: s.identifier, uuid: s.uuid, apiKey });
        if (i % 1000 === 0) await delay(0); // let the start timers run between batches
      }
      const deadline = Date.now() + 60_000;
      while (d.servers().some((s) => s.state !== 'running')) {
        if (Date.now() > deadline) throw new Error('servers did not all reach running');
        await delay(50);
      }
      return out;
    },

    counts(): PanelCounts {
      const d = double!;
      let status429 = 0;
      let last429At = 0;
      let wsTokenRequests = 0;
      const perServer = new Map<string, number>();
      for (const r of d.metrics.requestLog) {
        if (r.status === 429) {
          status429++;
          last429At = Math.max(last429At, r.at);
        }
        if (r.route === WS_ROUTE) {
          wsTokenRequests++;
          const key = r.serverUuid ?? r.path;
          perServer.set(key, (perServer.get(key) ?? 0) + 1);
        }
      }
      let openSockets = 0;
      let one = 0;
      let more = 0;
      for (const s of d.servers()) {
        const n = d.metrics.openSockets(s.uuid);
        openSockets += n;
        if (n === 1) one++;
        else if (n > 1) more++;
      }
      return {
        requests: d.metrics.requestLog.length,
        status429,
        wsTokenRequests,
        wsTokenMaxPerServer: Math.max(0, ...perServer.values()),
        openSockets,
        serversWithOneSocket: one,
        serversWithMoreSockets: more,
        upgradesRefused: d.metrics.upgrades.filter((u) => !u.accepted).length,
        firstRequestAt: d.metrics.requestLog[0]?.at ?? 0,
        last429At,
      };
    },

    usage: () => ({ memory: process.memoryUsage(), cpu: process.cpuUsage() }),
  },
  async () => {
    await double?.close();
  },
);
