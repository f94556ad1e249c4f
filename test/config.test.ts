import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { renderConfigurationReference, renderReadme } from '../src/config/reference.js';
import { resolveSecret } from '../src/config/secret-file.js';
import { unknownSettingWarnings } from '../src/config/unknown-settings.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../src/protocol/lifetimes.js';

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
    // A URL's password is not echoed either.
    expect(() => loadConfig({ LATCHKEY_DATABASE_URL: 'mysql://app:hunter2@db/x' })).toThrow('LATCHKEY_DATABASE_URL: must start with sqlite: or postgres:// (got "mysql://app:***@db/x")');
    expect(() => loadConfig({ LATCHKEY_REDIS_URL: 'http://:hunter2@redis' })).toThrow('(got "http://:***@redis")');
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

  it('issue 11.9 / SPEC §10: LATCHKEY_ADMIN_LISTEN is host:port (default 127.0.0.1:4803), [v6]:port, or off', () => {
    expect(loadConfig({}).adminListen).toEqual({ host: '127.0.0.1', port: 4803 });
    expect(loadConfig({ LATCHKEY_ADMIN_LISTEN: '0.0.0.0:9100' }).adminListen).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(loadConfig({ LATCHKEY_ADMIN_LISTEN: '[::1]:0' }).adminListen).toEqual({ host: '::1', port: 0 });
    expect(loadConfig({ LATCHKEY_ADMIN_LISTEN: 'off' }).adminListen).toBeNull();
    for (const bad of ['4803', 'localhost', '127.0.0.1:70000', '[::1]', 'a b:1']) {
      expect(() => loadConfig({ LATCHKEY_ADMIN_LISTEN: bad }), bad).toThrow(/LATCHKEY_ADMIN_LISTEN: must be host:port/);
    }
  });

  it('issue 11.12: an unknown LATCHKEY_* variable is warned about, naming the closest setting', () => {
    expect(unknownSettingWarnings({ LATCHKEY_PROT: '4802' })).toEqual([
      'LATCHKEY_PROT is not a Latchkey setting and is ignored; did you mean LATCHKEY_PORT? (docs/configuration.md lists them)',
    ]);
    expect(unknownSettingWarnings({ LATCHKEY_DATABSE_URL: 'x', LATCHKEY_REDIS: 'x' }).join('\n')).toMatch(/LATCHKEY_DATABSE_URL .*did you mean LATCHKEY_DATABASE_URL\?[\s\S]*LATCHKEY_REDIS .*did you mean LATCHKEY_REDIS_URL\?/);
    expect(unknownSettingWarnings({ LATCHKEY_WHATEVER: 'x' })[0]).not.toContain('did you mean');
    // Known settings, other variables and the test suite's own LATCHKEY_TEST_* are not warned about.
    expect(unknownSettingWarnings({ LATCHKEY_PORT: '1', LATCHKEY_ADMIN_LISTEN: 'off', PATH: '/bin', LATCHKEY_TEST_REQUIRE_SERVICES: '1' })).toEqual([]);
  });

  it('issue 11.14: the reference gives both lifetime families as the server answers them, and Redis as shared counters', () => {
    const reference = renderConfigurationReference();
    for (const [name, seconds] of Object.entries(DEFAULT_ORGANIZATION_SETTINGS)) {
      expect(reference, name).toMatch(new RegExp(`\`${name}\` \\| ${seconds}\\b`));
    }
    expect(DEFAULT_ORGANIZATION_SETTINGS).toMatchObject({ oauthAccessTokenTtlSeconds: 21600, oauthRefreshTokenTtlSeconds: 15897600 });
    expect(reference).not.toContain('for now');
    expect(reference).toContain('With it, every instance counts in the same Redis');
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

  it('SPEC §12: LATCHKEY_WEBAUTHN_RP_ID defaults to the issuer\'s host; a parent domain is accepted; an unrelated domain, or a URL, is refused', () => {
    expect(loadConfig({ LATCHKEY_ISSUER: 'https://auth.example.com' }).webauthnRpId).toBe('auth.example.com');
    expect(loadConfig({}).webauthnRpId).toBe('localhost');
    expect(loadConfig({ LATCHKEY_ISSUER: 'https://auth.example.com', LATCHKEY_WEBAUTHN_RP_ID: 'Example.COM' }).webauthnRpId).toBe('example.com');
    for (const [rpId, problem] of [
      ['badexample.com', "must be the issuer's host or a parent domain of it"],
      ['other.org', "must be the issuer's host or a parent domain of it"],
      ['https://example.com', 'must be a domain name'],
    ]) {
      let error: unknown;
      try {
        loadConfig({ LATCHKEY_ISSUER: 'https://auth.badexample.org', LATCHKEY_WEBAUTHN_RP_ID: rpId! });
      } catch (e) {
        error = e;
      }
      expect(error, rpId).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringContaining(`LATCHKEY_WEBAUTHN_RP_ID: ${problem}`)]);
    }
  });
});
