import type { Section } from './stats.ts';

export interface BenchContext {
  quick: boolean;
  /** Progress notes on stderr (the tables go to stdout). */
  log(message: string): void;
}

export interface Bench {
  name: string;
  summary: string;
  run(ctx: BenchContext): Promise<Section[]>;
}
