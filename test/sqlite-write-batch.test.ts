import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/storage/database.js';
import { sqliteWriteBatch, type SqliteWriteBatch } from '../src/storage/sqlite-write-batch.js';

// The group commit of the hot SQLite writes (src/storage/sqlite-write-batch.ts).
describe('SQLite write batch', () => {
  let dir: string;
  let open: OpenDatabase;
  let batch: SqliteWriteBatch;
  let statements: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-batch-'));
    open = openDatabase(`sqlite:${join(dir, 'batch.db')}`);
    await sql`create table items (id text primary key)`.execute(open.db);
    statements = [];
    // Counts what reaches SQLite on the shared connection from here on.
    const sqlite = open.sqlite!;
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      const statement = prepare(source);
      const run = statement.run.bind(statement);
      statement.run = ((...args: unknown[]) => (statements.push(source), run(...(args as [])))) as typeof statement.run;
      return statement;
    }) as typeof sqlite.prepare;
    batch = sqliteWriteBatch(sqlite, open.db);
  });
  afterEach(async () => {
    await open.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (id: string) => () => open.sqlite!.prepare('insert into items (id) values (?)').run(id).changes;
  const ids = async () => (await sql<{ id: string }>`select id from items order by id`.execute(open.db)).rows.map((row) => row.id);

  it('work queued in the same turn commits in one transaction, each answered with its own result', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((id) => batch.run(insert(id))));
    expect(results).toEqual([1, 1, 1]);
    expect(statements.filter((s) => s === 'commit')).toHaveLength(1);
    expect(await ids()).toEqual(['a', 'b', 'c']);
  });

  it('a piece of work that throws is rolled back alone; the others commit', async () => {
    const outcomes = await Promise.allSettled([
      batch.run(insert('a')),
      batch.run(() => {
        insert('b')();
        insert('a')(); // primary-key violation after a write of its own
      }),
      batch.run(insert('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ids()).toEqual(['a', 'c']);
  });

  it('never joins or breaks a Kysely transaction that is open meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const kyselyTransaction = open.db.transaction().execute(async (trx) => {
      await sql`insert into items (id) values ('k')`.execute(trx);
      await held;
      throw new Error('roll the Kysely transaction back');
    });
    const batched = batch.run(insert('b'));
    // The batch waits for the connection: nothing of it ran inside the open transaction.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(statements).not.toContain('begin immediate');
    release();
    await expect(kyselyTransaction).rejects.toThrow('roll the Kysely transaction back');
    await expect(batched).resolves.toBe(1);
    expect(await ids()).toEqual(['b']);
  });

  it('work queued after a batch started runs in the next one', async () => {
    const first = batch.run(insert('a'));
    await first;
    await batch.run(insert('b'));
    expect(statements.filter((s) => s === 'commit')).toHaveLength(2);
    expect(await ids()).toEqual(['a', 'b']);
  });
});
