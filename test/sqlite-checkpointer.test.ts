import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../src/storage/sqlite-checkpointer.js';

describe('SQLite background checkpointer', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the write-ahead log into the database file from its worker, and stops cleanly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-checkpoint-'));
    const path = join(dir, 'db.sqlite');
    const db = new SQLite(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0'); // only the worker may checkpoint in this test
    db.exec('create table t (id integer primary key, v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200));
    })();
    const before = statSync(path).size;
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(200 * 2000); // the rows are in the log only

    const errors: string[] = [];
    const checkpointer = startCheckpointer(path, { intervalMs: 20, onError: (message) => errors.push(message) });
    // Waits on the file itself; the test's timeout bounds the wait.
    while (statSync(path).size <= before) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(statSync(path).size).toBeGreaterThan(200 * 2000);
    await checkpointer.stop();
    expect(errors).toEqual([]);
    // The main connection still works, and the data is all there.
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 2000 });
    db.close();
  });

  it('issue 13: reports a failure instead of throwing, once over ten failed attempts: a database that is not there', async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-checkpoint-'));
    const errors: string[] = [];
    let attempts = 0;
    const checkpointer = startCheckpointer(join(dir, 'missing.sqlite'), { intervalMs: 20, onError: (message) => errors.push(message), onAttempt: () => attempts++ });
    // Waits for ten failed attempts (counted, not guessed from elapsed time).
    while (attempts < 10) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors.join(' ')).toMatch(/directory does not exist|unable to open/);
    expect(errors).toHaveLength(1); // reported once, not at every attempt
    await checkpointer.stop();
  });
});
