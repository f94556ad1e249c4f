import { sqlitePath } from './sqlite-directory.js';
import { StartupError } from './startup-error.js';

const SETTING = 'LATCHKEY_DATABASE_URL';

/** `host:port` of a PostgreSQL URL, for messages (never its password). */
function serverOf(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'the server';
  }
}

function databaseOf(databaseUrl: string): string {
  try {
    return decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || '(default)';
  } catch {
    return '(unknown)';
  }
}

/**
 * Turns a failure to open or migrate the database into one line naming LATCHKEY_DATABASE_URL and the
 * fix (issue 11.12), or undefined when it is not one the operator can fix from here. The URL's
 * password never appears: only host, port and database name are repeated.
 */
export function explainDatabaseFailure(error: unknown, databaseUrl: string): StartupError | undefined {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const cause = { cause: error };
  const path = sqlitePath(databaseUrl);
  if (path !== undefined) {
    if (code === 'SQLITE_CANTOPEN') return new StartupError(SETTING, `SQLite cannot open ${path} (${message}); choose a path in a writable directory`, cause);
    if (code === 'SQLITE_NOTADB') return new StartupError(SETTING, `${path} is not a SQLite database; choose another path`, cause);
    if (code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') return new StartupError(SETTING, `${path} is read-only (${code}); make it writable or choose another path`, cause);
    return undefined;
  }
  const server = serverOf(databaseUrl);
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupError(SETTING, `PostgreSQL at ${server} refuses connections (ECONNREFUSED); start it, or correct the host and port in the URL`, cause);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new StartupError(SETTING, `PostgreSQL at ${server} does not answer (${code}); check the host, port and network in the URL`, cause);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(SETTING, `the host ${server.replace(/:\d+$/, "")} does not resolve (${code}); correct the host in the URL`, cause);
    case '3D000':
      return new StartupError(SETTING, `the database "${databaseOf(databaseUrl)}" does not exist on ${server}; create it (createdb ${databaseOf(databaseUrl)}) or correct the URL`, cause);
    case '28P01':
    case '28000':
      return new StartupError(SETTING, `PostgreSQL at ${server} refused the login (${message}); correct the user and password in the URL`, cause);
    case '42501':
      return new StartupError(SETTING, `the PostgreSQL role lacks a privilege (${message}); let it own the database or its schema`, cause);
    case '3F000':
      return new StartupError(SETTING, `the schema in the URL's search_path does not exist on ${server} (${message}); create it or correct the URL`, cause);
    default:
      return undefined;
  }
}
