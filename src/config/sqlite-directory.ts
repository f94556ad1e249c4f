import { constants, accessSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { StartupError } from './startup-error.js';

const SETTING = 'LATCHKEY_DATABASE_URL';

/** The SQLite file path of a `sqlite:` URL, or undefined for PostgreSQL. */
export function sqlitePath(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Makes sure the directory of a `sqlite:` database exists and can hold the database, or throws one
 * StartupError saying which directory and why (issue 11.12). One level at a time: Node's recursive
 * mkdir never returns on some paths it cannot create (`/proc/nope`), which hung the start.
 */
export function prepareSqliteDirectory(databaseUrl: string): void {
  const path = sqlitePath(databaseUrl);
  if (path === undefined || path === ':memory:') return;
  const directory = dirname(resolve(path));
  const missing: string[] = [];
  let existing = directory;
  let stats = statOf(existing);
  while (!stats) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
    stats = statOf(existing);
  }
  if (stats && !stats.isDirectory()) {
    throw new StartupError(SETTING, `${existing} is a file, so the SQLite database ${resolve(path)} cannot be created under it; choose a path in a directory (e.g. sqlite:./data/latchkey.db)`);
  }
  for (const created of missing) {
    try {
      mkdirSync(created);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statOf(created)?.isDirectory()) continue;
      throw new StartupError(SETTING, `cannot create the directory ${created} for the SQLite database (${describe(error)}); choose a path in a writable directory`, { cause: error });
    }
  }
  try {
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new StartupError(SETTING, `the directory ${directory} is not writable (${describe(error)}); choose a writable directory or change its permissions`, { cause: error });
  }
}

/** `ENOENT: no such file or directory` without the path Node repeats. */
export function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ? `${code}: ${message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : String(message ?? error);
}
