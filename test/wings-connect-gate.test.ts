import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { ConnectGate } from '../src/wings/connect-gate.ts';
import { WingsHub } from '../src/wings/hub.ts';

describe('ConnectGate', () => {
  it('admits up to its limit and hands each released slot to the next waiter in order', async () => {
    const gate = new ConnectGate(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.acquire(), gate.acquire()]);
    const third = gate.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const fourth = gate.acquire().then((release) => {
      order.push(4);
      return release;
    });
    await Promise.resolve();
    expect(gate.inUse).toBe(2);
    expect(gate.queued).toBe(2);
    releases[0]!();
    releases[0]!(); // idempotent
    const r3 = await third;
    expect(order).toEqual([3]);
    expect(gate.inUse).toBe(2);
    releases[1]!();
    (await fourth)();
    r3();
    expect(order).toEqual([3, 4]);
    expect(gate.inUse).toBe(0);
  });
});

describe('the hub at start', () => {
  it('keeps at most maxConcurrentConnects connections of one panel in their panel phase', async () => {
    let inFlight = 0;
    let peak = 0;
    let calls = 0;
    const pending: Array<() => void> = [];
    const hub = new WingsHub({
      logger: createLogger({ level: 'silent' }),
      maxConcurrentConnects: 3,
      createPanelClient: () => ({
        async getServer() {
          inFlight++;
          calls++;
          peak = Math.max(peak, inFlight);
          await new Promise<void>((resolve) => pending.push(resolve));
          inFlight--;
          // Fail the attempt so the test needs no socket: the connection retries later, after the gate was released.
          throw Object.assign(new Error('panel busy'), { kind: 'panel_unreachable', userMessage: 'busy' });
        },
        async getWebsocketCredentials() {
          throw new Error('not reached');
        },
      }),
      connectionOptions: { backoff: { initialMs: 60_000, maxMs: 60_000 } },
    });
    for (let i = 0; i < 20; i++) {
      hub.subscribe({ panelUrl: 'http://127.0.0.1:1', serverId: `srv${String(i).padStart(5, '0')}`, apiKey: 'k' });
    }
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await settle();
    expect(calls).toBe(3);
    while (calls < 20) {
      pending.shift()?.();
      await settle();
      expect(inFlight).toBeLessThanOrEqual(3);
    }
    for (const resolve of pending.splice(0)) resolve();
    expect(peak).toBe(3);
    await hub.closeAll();
  });
});
