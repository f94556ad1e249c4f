import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../src/storage/database.js';

const base = inject('postgresUrl');

// A PostgreSQL restart or a dropped connection fails the pool's idle clients; node-postgres reports
// that as an 'error' event on the pool, which ends the process when nobody listens.
describe.skipIf(!base)('PostgreSQL pool', () => {
  it('an idle connection killed by the server is reported, not fatal, and the next query works', async () => {
    const name = `latchkey-idle-${process.pid}-${Date.now()}`;
    const url = new URL(base!);
    url.searchParams.set('application_name', name);
    let reported!: (message: string) => void;
    const failure = new Promise<string>((resolve) => (reported = resolve));
    const { db } = openDatabase(url.toString(), { namedStatements: false, onIdleClientError: (message) => reported(message) });
    try {
      await sql`select 1`.execute(db); // one idle client in the pool now
      const admin = new pg.Client({ connectionString: base! });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name]);
        expect(rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      expect(await failure).toMatch(/terminat/i);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
