import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, type Config } from './config.js';

/** The SQLite file path of a `sqlite:` URL, or undefined for PostgreSQL. */
export function sqlitePath(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}

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
    mkdirSync(dirname(file), { recursive: true });
    secret = randomBytes(32).toString('base64url');
    // 'wx' fails if another process created it meanwhile; then read theirs.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch {
      secret = readFileSync(file, 'utf8').trim();
    }
  }
  if (secret.length < 32) throw new ConfigError([`LATCHKEY_SECRET: the secret file ${file} holds fewer than 32 characters`]);
  return Object.freeze({ ...config, secret });
}
