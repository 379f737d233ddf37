import type { Section } from './stats.ts';

export interface BenchContext {
  quick: boolean;
  /** Progress notes on stderr (the tables go to stdout). */
  log(message: string): void;
}

export interface Bench {
  name: string;
  summary: string;
  /** Left out of the default run (too long); runs when named. */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<Section[]>;
}
