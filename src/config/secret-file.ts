import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { describe, prepareSqliteDirectory, sqlitePath } from './sqlite-directory.js';
import { StartupError } from './startup-error.js';

export { sqlitePath };

/**
 * Returns the config with `secret` set: from LATCHKEY_SECRET, else (SQLite only) from
 * `latchkey.secret` beside the database file, generating it (256 random bits, mode 0600) on first use.
 */
export function resolveSecret(config: Config): Config {
  if (config.secret) return config;
  const path = sqlitePath(config.databaseUrl);
  if (path === undefined || path === ':memory:') {
    if (path === ':memory:') return Object.freeze({ ...config, secret: randomBytes(32).toString('base64url') });
    throw new ConfigError(['LATCHKEY_SECRET: required when the database is PostgreSQL (at least 32 characters)']);
  }
  const file = join(dirname(resolve(path)), 'latchkey.secret');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    prepareSqliteDirectory(config.databaseUrl);
    secret = randomBytes(32).toString('base64url');
    // 'wx' fails if another process created it meanwhile; then read theirs.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      try {
        secret = readFileSync(file, 'utf8').trim();
      } catch {
        throw new StartupError('LATCHKEY_SECRET', `not set, and the secret file ${file} cannot be written (${describe(writeError)}); set LATCHKEY_SECRET or make the directory writable`, { cause: writeError });
      }
    }
  }
  if (secret.length < 32) throw new ConfigError([`LATCHKEY_SECRET: the secret file ${file} holds fewer than 32 characters`]);
  return Object.freeze({ ...config, secret });
}
