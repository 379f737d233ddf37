/**
 * Questions the sharding manager asks each shard process over the IPC channel discord.js already opened: "your
 * metrics" (prom-client JSON, merged by the manager) and "your health". Plain messages instead of broadcastEval, so no
 * code is serialised and the answers are typed. discord.js ignores messages it does not know and re-emits them as
 * the Shard's 'message' event.
 */
import type { Shard } from 'discord.js';
import type { HealthReport } from '../metrics/health.ts';
import type { MetricsJson } from '../metrics/registry.ts';

export type ShardQuestion = 'metrics' | 'health';

interface Ask {
  ptb: 'ask';
  id: number;
  what: ShardQuestion;
}

export interface ShardAnswer {
  ptb: 'answer';
  id: number;
  metrics?: MetricsJson;
  health?: HealthReport;
  error?: string;
}

function isAsk(message: unknown): message is Ask {
  const m = message as Partial<Ask> | null;
  return typeof m === 'object' && m !== null && m.ptb === 'ask' && typeof m.id === 'number';
}

function isAnswer(message: unknown): message is ShardAnswer {
  const m = message as Partial<ShardAnswer> | null;
  return typeof m === 'object' && m !== null && m.ptb === 'answer' && typeof m.id === 'number';
}

export interface ShardAnswers {
  metrics(): Promise<MetricsJson>;
  health(): Promise<HealthReport>;
}

/** Shard side: answers the manager's questions on this process's IPC channel. Returns a detach function. */
export function answerManager(answers: ShardAnswers): () => void {
  const onMessage = (message: unknown) => {
    if (!isAsk(message)) return;
    const reply = (answer: Omit<ShardAnswer, 'ptb' | 'id'>) => {
      if (process.connected) process.send?.({ ptb: 'answer', id: message.id, ...answer });
    };
    const work =
      message.what === 'metrics'
        ? answers.metrics().then((metrics) => reply({ metrics }))
        : answers.health().then((health) => reply({ health }));
    work.catch((error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }));
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** Manager side: asks shards and waits for their answers, each with a deadline. */
export class ShardQuestions {
  private nextId = 1;
  private readonly pending = new Map<number, (answer: ShardAnswer) => void>();

  constructor(private readonly timeoutMs: number) {}

  /** Routes a shard's answers here; call once per shard (at 'shardCreate'). */
  attach(shard: Shard): void {
    shard.on('message', (message: unknown) => {
      if (!isAnswer(message)) return;
      this.pending.get(message.id)?.(message);
    });
  }

  async ask(shard: Shard, what: ShardQuestion): Promise<ShardAnswer> {
    if (!shard.process) throw new Error('not running');
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<ShardAnswer>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        this.pending.set(id, resolve);
        shard.send({ ptb: 'ask', id, what } satisfies Ask).catch((error: unknown) => {
          reject(new Error(`cannot ask: ${error instanceof Error ? error.message : String(error)}`));
        });
      });
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }
}
