/**
 * The shard script the two-shard end-to-end test forks: the production shard process (src/shard/shard-process.ts)
 * with the test's store namespace (runs share one Redis) and shorter feed timings.
 */
import { runShardProcess } from '../src/shard/shard-process.ts';

await runShardProcess({
  storeNamespace: process.env.PTERO_TEST_STORE_NAMESPACE,
  feedTuning: { replayFirstLineMs: 300, replayQuietMs: 100 },
});
