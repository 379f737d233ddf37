/**
 * The backends every store suite runs against: a real SQLite file in a fresh temp folder, and the real Redis and
 * PostgreSQL that `.ci/run` starts (skipped with a printed reason where their URL is not set), plus a namespace prefix
 * unique to this run so suites sharing a server never collide.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface StoreBackend {
  name: 'sqlite' | 'redis' | 'postgres';
  url: () => string;
  env: 'TEST_REDIS_URL' | 'TEST_POSTGRES_URL' | undefined;
}

/** Call at a test file's top level: registers the temp folder's set-up and clean-up. */
export function storeBackends(suite: string, sqliteRelativePath: string) {
  let tempDir = '';
  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), `ptero-${suite}-`));
  });
  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });
  const sqliteFile = () => path.join(tempDir, sqliteRelativePath);
  const backends: StoreBackend[] = [
    { name: 'sqlite', url: () => `sqlite://${sqliteFile()}`, env: undefined },
    { name: 'redis', url: () => process.env.TEST_REDIS_URL ?? '', env: 'TEST_REDIS_URL' },
    { name: 'postgres', url: () => process.env.TEST_POSTGRES_URL ?? '', env: 'TEST_POSTGRES_URL' },
  ];
  for (const b of backends) {
    if (b.env && !process.env[b.env]) console.warn(`${suite}: skipping ${b.name} — ${b.env} is not set`);
  }
  const runId = `${suite.slice(-1)}${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  return { backends, sqliteFile, runId };
}
