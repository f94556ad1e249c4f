import type { TestProject } from 'vitest/node';
import pg from 'pg';

/** The PostgreSQL database tests use: LATCHKEY_TEST_DATABASE_URL, else the local default. */
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

async function isReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Decides once per run whether the PostgreSQL suites run. CI (.ci/run) sets
 * LATCHKEY_TEST_REQUIRE_SERVICES=1: then an unreachable database fails the run instead of skipping.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.LATCHKEY_TEST_DATABASE_URL || DEFAULT_PG_URL;
  const required = process.env.LATCHKEY_TEST_REQUIRE_SERVICES === '1';
  if (await isReachable(url)) {
    project.provide('postgresUrl', url);
    return;
  }
  if (required) throw new Error(`PostgreSQL is required (LATCHKEY_TEST_REQUIRE_SERVICES=1) but ${url} is unreachable`);
  process.stderr.write(
    `\n  NOTICE: PostgreSQL at ${url} is unreachable — the PostgreSQL suites are SKIPPED.\n` +
      '  Set LATCHKEY_TEST_DATABASE_URL (or start PostgreSQL) to run them; .ci/run requires them.\n\n',
  );
  project.provide('postgresUrl', null);
}
