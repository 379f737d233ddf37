/**
 * cmd-roundtrip: what the bot adds to a console command. Both paths are timed in the doubles' process (one clock) and
 * cross the same two local sockets:
 *   bot:  Discord double sends INTERACTION_CREATE on the gateway → the bot (resolve binding, moderator check, defer
 *         reply over REST, validate, client-side Wings limits) → `send command` frame → Wings double.
 *   raw:  Wings double sends a `console output` frame to a bare ws client in the bot's process → the client answers
 *         with a `send command` frame at once → Wings double.
 * Added latency = bot − raw (p50 and p95 of interleaved rounds). A second bot run puts 50 ms on every interaction
 * callback (Discord's real round trip is tens of ms) to show whether the deferral sits on the command's path.
 */
import WebSocket from 'ws';
import type { CmdSample } from './hosts/world-host.ts';
import { fmt, percentile, type Row } from './lib/stats.ts';
import type { Bench, BenchContext } from './lib/types.ts';
import { waitFor } from './lib/wait.ts';
import { startBenchWorld } from './lib/world.ts';

/** A bare Wings client: credentials from the panel, Origin, auth, then echo `ping N` as `send command pong N`. */
async function rawClient(panelUrl: string, serverId: string, apiKey: string): Promise<WebSocket> {
  const res = await fetch(`${panelUrl}/api/client/servers/${serverId}/websocket`, {
    headers: { Authorization: `Bearer ${apiKey}`, Accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`raw client: panel answered ${res.status}`);
  const { data } = (await res.json()) as { data: { token: string; socket: string } };
  const ws = new WebSocket(data.socket, { origin: panelUrl, perMessageDeflate: false });
  let authed = false;
  ws.on('open', () => ws.send(JSON.stringify({ event: 'auth', args: [data.token] })));
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as { event: string; args?: string[] };
    if (frame.event === 'auth success') authed = true;
    const line = frame.args?.[0];
    if (frame.event === 'console output' && line?.startsWith('ping ')) {
      ws.send(JSON.stringify({ event: 'send command', args: [`pong ${line.slice(5)}`] }));
    }
  });
  await waitFor(() => authed, 'the raw client to authenticate', 10_000);
  return ws;
}

export const cmdRoundtrip: Bench = {
  name: 'cmd-roundtrip',
  summary: '/cmd through the bot vs a raw Wings socket: latency the bot adds (p50/p95)',
  async run(ctx: BenchContext) {
    const rounds = ctx.quick ? 2 : 5;
    const perRound = ctx.quick ? 15 : 40;
    const gapMs = 25;
    // Wings' inbound buckets (send command: 10 burst, 1/s) and the bot's mirror of them are scaled 100× faster on
    // both sides so samples can follow each other; the limiter logic still runs on every command.
    const world = await startBenchWorld({
      panel: { limitRateScale: 0.01 },
      connectionOptions: { limits: { scale: 0.01 } },
      env: { CMD_OUTPUT_WINDOW_MS: '0' },
    });
    try {
      const { server } = await world.bind('Cmd');
      const rawServer = await world.host.call<{ identifier: string; uuid: string; apiKey: string }>('addServer', 'Raw');
      const ws = await rawClient(world.info.panelUrl, rawServer.identifier, rawServer.apiKey);
      const bot = (samples: number) =>
        world.host.call<CmdSample[]>('cmdBot', {
          guildId: world.info.guildId,
          channelId: world.info.generalChannelId,
          uuid: server.uuid,
          samples,
          gapMs,
        });
      const raw = (samples: number) => world.host.call<number[]>('rawLoop', { uuid: rawServer.uuid, samples, gapMs });
      await bot(5); // warm-up: first-use compilation on both paths
      await raw(5);
      const botSamples: CmdSample[] = [];
      const rawSamples: number[] = [];
      for (let r = 0; r < rounds; r++) {
        rawSamples.push(...(await raw(perRound)));
        botSamples.push(...(await bot(perRound)));
        ctx.log(`cmd-roundtrip: round ${r + 1}/${rounds}`);
      }
      await world.host.call('setCallbackLatency', 50);
      const slow = await bot(ctx.quick ? 10 : 30);
      await world.host.call('setCallbackLatency', 0);
      ws.close();

      const botMs = botSamples.map((s) => s.toCommandMs);
      const deferMs = botSamples.map((s) => s.toDeferMs);
      const slowMs = slow.map((s) => s.toCommandMs);
      const p = (xs: number[], q: number) => percentile(xs, q);
      const added50 = p(botMs, 50) - p(rawSamples, 50);
      const added95 = p(botMs, 95) - p(rawSamples, 95);
      const rows: Row[] = [
        {
          metric: 'raw socket: frame out → command at Wings, p50 / p95',
          value: `${fmt(p(rawSamples, 50), 2)} / ${fmt(p(rawSamples, 95), 2)} ms`,
          note: `${rawSamples.length} samples`,
        },
        {
          metric: 'bot: interaction sent → command at Wings, p50 / p95',
          value: `${fmt(p(botMs, 50), 2)} / ${fmt(p(botMs, 95), 2)} ms`,
          note: `${botMs.length} samples`,
        },
        { metric: 'added by the bot, p50', value: `${fmt(added50, 2)} ms`, goal: '< 5 ms', ok: added50 < 5 },
        {
          metric: 'added by the bot, p95',
          value: `${fmt(added95, 2)} ms`,
          goal: '< 5 ms',
          ok: added95 < 5,
          note: 'difference of the p95s',
        },
        {
          metric: 'bot: interaction sent → deferral at Discord, p50',
          value: `${fmt(p(deferMs, 50), 0)} ms`,
          note: 'Date.now resolution; the command no longer waits for it (see the 50 ms row)',
        },
        {
          metric: 'bot with 50 ms on each interaction callback, p50 / p95',
          value: `${fmt(p(slowMs, 50), 2)} / ${fmt(p(slowMs, 95), 2)} ms`,
          note: `${slowMs.length} samples; +${fmt(p(slowMs, 50) - p(botMs, 50), 1)} ms at p50`,
        },
      ];
      return [
        {
          title: 'cmd-roundtrip — latency the bot adds to /cmd',
          method: `${rounds} interleaved rounds of ${perRound} raw then ${perRound} bot samples, ${gapMs} ms apart, after 5 warm-up samples each; both timed in the doubles' process. Wings rate buckets scaled ×0.01 on both sides. CMD_OUTPUT_WINDOW_MS=0 (the reply does not wait for output; irrelevant to the timed span).`,
          rows,
        },
      ];
    } finally {
      await world.close();
    }
  },
};
