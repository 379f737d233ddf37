/** The script the sharding manager forks once per shard (SHARDS set); see shard-process.ts. */
import { runShardProcess } from './shard-process.ts';

await runShardProcess();
