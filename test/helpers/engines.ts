import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';

export type EngineName = 'sqlite' | 'postgres';

/** The engines this run covers: SQLite always, PostgreSQL when global setup found it. */
export const engines: EngineName[] = inject('postgresUrl') ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * `describe.each` over both engines in which PostgreSQL, when unreachable, is declared and SKIPPED
 * with its reason in the title rather than left out: the run's summary line then counts what did not
 * run (issue 13). Titles read `title [sqlite]` / `title [postgres]` as with `describe.each`.
 */
export function describeEachEngine(title: string, body: (engine: EngineName) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    const isMissing = !engines.includes(engine);
    const name = isMissing ? `${title} [${engine}] — SKIPPED: PostgreSQL unreachable (set LATCHKEY_TEST_DATABASE_URL)` : `${title} [${engine}]`;
    describe.skipIf(isMissing)(name, () => body(engine));
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test server or store: a temporary SQLite file, or a new schema
 * in the test PostgreSQL database (selected through the URL's search_path option).
 */
export async function createTestDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
    return { url: `sqlite:${join(dir, 'latchkey.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = inject('postgresUrl');
  if (!base) throw new Error('PostgreSQL is not available in this run');
  const schema = `lk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}
