import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/wings/backoff.ts';

describe('Backoff', () => {
  it('doubles from initial and caps at max, with jitter in the upper half of each window', () => {
    const windows = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    for (const r of [0, 0.25, 0.5, 0.999, 1]) {
      const backoff = new Backoff({ initialMs: 1000, maxMs: 30000 }, () => r);
      for (const window of windows) {
        const delay = backoff.next();
        expect(delay).toBeGreaterThanOrEqual(window / 2);
        expect(delay).toBeLessThanOrEqual(window);
        expect(delay).toBe(Math.round(window / 2 + (r * window) / 2));
      }
    }
  });

  it('uses the random source for jitter', () => {
    const values = [0.1, 0.9];
    const backoff = new Backoff({ initialMs: 1000, maxMs: 1000 }, () => values.shift() ?? 0);
    expect(backoff.next()).toBe(550);
    expect(backoff.next()).toBe(950);
  });

  it('never exceeds the cap even after many failures', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 30000 }, () => 1);
    for (let i = 0; i < 100; i++) expect(backoff.next()).toBeLessThanOrEqual(30000);
    expect(backoff.attempts).toBe(100);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 30000 }, () => 1);
    backoff.next();
    backoff.next();
    backoff.next();
    expect(backoff.next()).toBe(8000);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(1000);
  });

  it('rejects nonsensical options', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});
