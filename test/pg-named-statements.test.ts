import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/storage/database.js';
import { prepareQuery, type Placeholder } from '../src/storage/prepared.js';
import { createTestDatabase, engines, type TestDatabase } from './helpers/engines.js';

// PostgreSQL only: SQLite has no server-side statements (its statements are cached in process).
describe.skipIf(!engines.includes('postgres'))('PostgreSQL named statements for prepared queries', () => {
  let database: TestDatabase;
  let open: OpenDatabase;
  // The tests use their own table: `select *` over it is what a schema change can break.
  const db = () => open.db.withTables<{ things: { id: string; label: string; extra?: string } }>();

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    open = openDatabase(database.url, { poolSize: 1 }); // one connection: what it prepared is visible
    await sql`create table things (id text primary key, label text not null)`.execute(open.db);
    await sql`insert into things values ('a', 'first'), ('b', 'second')`.execute(open.db);
  });
  afterAll(async () => {
    await open?.db.destroy();
    await database?.drop();
  });

  it('a prepared query is parsed once per connection and then run by name', async () => {
    const byId = prepareQuery(open.db, (_, $: Placeholder<{ id: string }>) => db().selectFrom('things').select('label').where('id', '=', $('id')));
    expect(await byId.first({ id: 'a' })).toEqual({ label: 'first' });
    expect(await byId.first({ id: 'b' })).toEqual({ label: 'second' });
    const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(open.db);
    expect(prepared.rows.filter((r) => r.statement.includes('from "things"'))).toHaveLength(1);
    // Ad-hoc queries stay unnamed.
    await db().selectFrom('things').select('id').where('label', '=', 'first').execute();
    const after = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(open.db);
    expect(after.rows.filter((r) => r.statement.includes('"label" = $1'))).toEqual([]);
  });

  it('with named statements off (a transaction-mode pooler), prepared queries run unnamed', async () => {
    const plain = openDatabase(database.url, { poolSize: 1, namedStatements: false });
    try {
      const byLabel = prepareQuery(plain.db, (db, $: Placeholder<{ label: string }>) =>
        db.withTables<{ things: { id: string; label: string } }>().selectFrom('things').select('id').where('label', '=', $('label')).where('id', '!=', 'none'),
      );
      expect(await byLabel.first({ label: 'second' })).toEqual({ id: 'b' });
      const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(plain.db);
      expect(prepared.rows).toEqual([]);
    } finally {
      await plain.db.destroy();
    }
  });

  it('after a column is added under it, a `select *` statement is prepared again and the query succeeds', async () => {
    const all = prepareQuery(open.db, (_, $: Placeholder<{ id: string }>) => db().selectFrom('things').selectAll().where('id', '=', $('id')));
    expect(await all.first({ id: 'a' })).toEqual({ id: 'a', label: 'first' });
    await sql`alter table things add column extra text`.execute(open.db);
    expect(await all.first({ id: 'a' })).toEqual({ id: 'a', label: 'first', extra: null });
  });

  it('inside a transaction the stale statement fails that transaction once; the next one succeeds', async () => {
    const all = prepareQuery(open.db, (_, $: Placeholder<{ id: string }>) => db().selectFrom('things').selectAll().where('id', '=', $('id')).where('label', '!=', ''));
    expect(await all.first({ id: 'b' })).toMatchObject({ id: 'b' });
    await sql`alter table things add column more text`.execute(open.db);
    await expect(open.db.transaction().execute((trx) => all.first({ id: 'b' }, trx))).rejects.toThrow(/cached plan must not change result type/);
    expect(await open.db.transaction().execute((trx) => all.first({ id: 'b' }, trx))).toMatchObject({ id: 'b', more: null });
  });
});
