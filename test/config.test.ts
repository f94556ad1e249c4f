import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { renderConfigurationReference, renderReadme } from '../src/config/reference.js';
import { resolveSecret } from '../src/config/secret-file.js';

describe('configuration (SPEC §8)', () => {
  it('defaults: SQLite under ./data, port 4802, loopback, issuer from the port', () => {
    expect(loadConfig({})).toMatchObject({
      databaseUrl: 'sqlite:./data/latchkey.db',
      port: 4802,
      host: '127.0.0.1',
      issuer: 'http://localhost:4802',
      secret: undefined,
      redisUrl: undefined,
      keyCacheSeconds: 30,
      secretOverlapSeconds: 0,
    });
    expect(loadConfig({ LATCHKEY_PORT: '9000' }).issuer).toBe('http://localhost:9000');
  });

  it('every bad value is named in one error, and the secret is never echoed', () => {
    let error: unknown;
    try {
      loadConfig({
        LATCHKEY_DATABASE_URL: 'mysql://x',
        LATCHKEY_PORT: '70000',
        LATCHKEY_ISSUER: 'https://auth.example.com/',
        LATCHKEY_SECRET: 'too-short-secret',
        LATCHKEY_REDIS_URL: 'http://redis',
        LATCHKEY_LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'LATCHKEY_DATABASE_URL', 'LATCHKEY_PORT', 'LATCHKEY_ISSUER', 'LATCHKEY_SECRET', 'LATCHKEY_REDIS_URL', 'LATCHKEY_LOG_LEVEL',
    ]);
    expect(problems[1]).toBe('LATCHKEY_PORT: must be at most 65535 (got "70000")');
    expect(() => loadConfig({ LATCHKEY_ISSUER: 'https://example.com/auth' })).toThrow(/LATCHKEY_ISSUER: must be an origin without a path/);
    expect(message).not.toContain('too-short-secret');
  });

  it('SPEC §7: an http issuer only on loopback, unless the insecure override is set (and then it is flagged)', () => {
    expect(() => loadConfig({ LATCHKEY_ISSUER: 'http://auth.example.com' })).toThrow(/LATCHKEY_ISSUER: must be https unless its host is localhost/);
    expect(loadConfig({ LATCHKEY_ISSUER: 'http://127.0.0.1:4802' }).isInsecureHttpIssuer).toBe(false);
    expect(loadConfig({ LATCHKEY_ISSUER: 'http://auth.example.com', LATCHKEY_INSECURE_HTTP_ISSUER: 'true' }).isInsecureHttpIssuer).toBe(true);
  });

  it('PostgreSQL needs LATCHKEY_SECRET; SQLite generates one beside the database, once', async () => {
    expect(() => resolveSecret(loadConfig({ LATCHKEY_DATABASE_URL: 'postgres://db/latchkey' }))).toThrow(/LATCHKEY_SECRET: required/);
    const { mkdtempSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-secret-'));
    const config = loadConfig({ LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
    const first = resolveSecret(config).secret!;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(resolveSecret(config).secret).toBe(first);
    expect(statSync(join(dir, 'latchkey.secret')).mode & 0o777).toBe(0o600);
  });

  it('docs/configuration.md is the generated reference (run `npm run docs:config`)', () => {
    const committed = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigurationReference());
  });

  it('README.md shows the generated configuration table (run `npm run docs:config`)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('<!-- config-table:start -->');
    expect(readme).toBe(renderReadme(readme));
  });
});
