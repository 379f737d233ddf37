/**
 * Child process for feed-core: measures the planner in a process of its own, optionally after loading the bot's
 * modules first (src/app.ts and everything it imports), so both figures come from equally fresh processes.
 */
import { measureVariants } from '../feed-core.ts';
import { serve } from '../lib/rpc.ts';

serve({
  async measure(o: { total: number; runs: number; loadApp: boolean }) {
    if (o.loadApp) await import('../../src/app.ts');
    return measureVariants(o.total, o.runs);
  },
});
