import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';
import { prepareQuery, type Placeholder } from '../src/storage/prepared.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

// The prepared-query helper binds each run's values in place of the placeholders, keeps the
// constants written into the builder, and refuses misuse at build time — on both engines.
describeEachEngine('prepareQuery', (engine) => {
  let database: TestDatabase;
  let open: OpenDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    open = openDatabase(database.url);
    await migrateToLatest(open.db, open.engine);
    const row = (id: string, name: string) => ({ id, name, settings: '{}', delivery_sealed: null, display_name: null, logo_url: null, accent_color: null, created_at: 1 });
    await open.db.insertInto('organizations').values([row('org_a', 'alpha'), row('org_b', 'beta'), row('org_c', 'gamma')]).execute();
  });
  afterAll(async () => {
    await open?.db.destroy();
    await database?.drop();
  });

  it('binds each run\'s values and keeps the builder\'s constants', async () => {
    const byName = prepareQuery(open.db, (db, $: Placeholder<{ name: string; notId: string }>) =>
      db.selectFrom('organizations').select('id').where('name', '=', $('name')).where('id', '!=', $('notId')).where('created_at', '=', 1),
    );
    expect(await byName.first({ name: 'alpha', notId: 'org_x' })).toEqual({ id: 'org_a' });
    expect(await byName.first({ name: 'beta', notId: 'org_x' })).toEqual({ id: 'org_b' });
    expect(await byName.first({ name: 'beta', notId: 'org_b' })).toBeUndefined();
    expect(await byName.all({ name: 'nobody', notId: 'org_x' })).toEqual([]);
  });

  it('a placeholder-looking value at run time is bound as a value, never read as a placeholder', async () => {
    const byName = prepareQuery(open.db, (db, $: Placeholder<{ name: string }>) => db.selectFrom('organizations').select('id').where('name', '=', $('name')));
    const lookalike = byName.first({ name: '\u0000latchkey-parameter:name' });
    // SQLite compares it and finds nothing; PostgreSQL text cannot hold U+0000, so the engine itself
    // refuses the bound value — either way it reached the database as data.
    if (engine === 'sqlite') expect(await lookalike).toBeUndefined();
    else await expect(lookalike).rejects.toThrow(/invalid byte sequence/);
  });

  it('counts changed rows and runs inside a transaction it is given', async () => {
    const rename = prepareQuery(open.db, (db, $: Placeholder<{ id: string; name: string }>) =>
      db.updateTable('organizations').set({ name: $('name') }).where('id', '=', $('id')),
    );
    await expect(
      open.db.transaction().execute(async (trx) => {
        expect(await rename.changes({ id: 'org_c', name: 'renamed' }, trx)).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const row = await open.db.selectFrom('organizations').select('name').where('id', '=', 'org_c').executeTakeFirstOrThrow();
    expect(row.name).toBe('gamma');
    expect(await rename.changes({ id: 'org_none', name: 'x' })).toBe(0);
  });

  it('refuses a run without a value for a placeholder', async () => {
    const byName = prepareQuery(open.db, (db, $: Placeholder<{ name: string }>) => db.selectFrom('organizations').select('id').where('name', '=', $('name')));
    await expect(byName.first({} as { name: string })).rejects.toThrow('no value for name');
  });

  it('refuses at build time a placeholder that did not become a bound parameter', () => {
    expect(() =>
      prepareQuery(open.db, (db, $: Placeholder<{ name: string }>) => {
        $('name'); // asked for, never used in the query
        return db.selectFrom('organizations').select('id');
      }),
    ).toThrow('placeholder name is not a bound parameter');
  });
});
