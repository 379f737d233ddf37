/**
 * `/healthz`: healthy when the bot has started, its gateway session is ready and the store answers a read in time.
 * Reasons are fixed phrases or the store's own (already redacted) error message, never configuration values.
 */
import type { Bot } from '../app.ts';
import { StoreError } from '../store/index.ts';
import { gatewayReady } from './observe.ts';

export interface HealthReport {
  ok: boolean;
  /** Why not, one short phrase per problem (absent when ok). */
  reasons?: string[];
}

export interface HealthTarget {
  client: Bot['client'];
  store: Pick<Bot['store'], 'settings'>;
  /** False until the bot's start() finished (bindings activated). Default: always started. */
  started?: () => boolean;
}

const PROBE_KEY = 'healthProbe';

export async function checkHealth(target: HealthTarget, timeoutMs = 2_000): Promise<HealthReport> {
  const reasons: string[] = [];
  if (target.started && !target.started()) reasons.push('starting: bindings not activated yet');
  if (!gatewayReady(target.client)) reasons.push('gateway: not ready');
  const storeProblem = await probeStore(target.store, timeoutMs);
  if (storeProblem) reasons.push(`store: ${storeProblem}`);
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

async function probeStore(store: HealthTarget['store'], timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const read = store.settings.get(PROBE_KEY).then(
    () => undefined,
    (error: unknown) => (error instanceof StoreError ? error.message : `read failed (${errorName(error)})`),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
