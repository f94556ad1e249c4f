import { afterAll, beforeAll, expect, it } from 'vitest';
import { STACK_LINE, runBin } from './helpers/bin.js';
import { describeEachEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §6.1 and §9: the OpenID Connect settings of an application, as `latchkey apps create` takes
// them (docs/configuration.md, "Per-application settings").
describeEachEngine('issue 14 / SPEC §6.1, §9: per-application OpenID Connect settings', (engine) => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const { config } = server.server.runtime;
    env = { LATCHKEY_DATABASE_URL: config.databaseUrl, LATCHKEY_SECRET: config.secret! };
  });
  afterAll(() => server?.close());

  const latchkey = (...args: string[]) => runBin(args, env);
  const count = async () => JSON.parse((await latchkey('apps', 'list', '--json')).stdout).length as number;

  it('SPEC §9: a new application may use openid profile email phone address offline_access; PKCE required; EdDSA access tokens', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Defaults', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      allowedScopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
      pkce: 'required', accessTokenAlg: 'EdDSA', postLogoutRedirectUris: [],
    });
  });

  it('SPEC §12: --passkey-origin lists the origins whose pages may run passkey ceremonies; a non-origin is refused', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Passkey pages', '--passkey-origin', 'https://app.example', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).passkeyOrigins).toEqual(['https://app.example']);
    const refused = await latchkey('apps', 'create', '--name', 'Bad', '--passkey-origin', 'https://app.example/path');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('passkey origin "https://app.example/path" is not an origin');
  });

  it('RFC 9126 §6 / SPEC §13: --require-pushed-authorization-requests is stored (off by default)', async () => {
    const created = await latchkey('apps', 'create', '--name', 'Pushing', '--require-pushed-authorization-requests', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).requirePushedAuthorizationRequests).toBe(true);
    expect(JSON.parse((await latchkey('apps', 'create', '--name', 'Plain', '--json')).stdout).requirePushedAuthorizationRequests).toBe(false);
  });

  it('RFC 8707 §2 / SPEC §13: --resource lists the resource indicators its tokens may be asked for; one with a fragment is refused', async () => {
    const created = await latchkey('apps', 'create', '--name', 'API client', '--resource', 'https://api.example/mcp', '--resource', 'https://api.example/v2', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).resources).toEqual(['https://api.example/mcp', 'https://api.example/v2']);
    const refused = await latchkey('apps', 'create', '--name', 'Bad', '--resource', 'https://api.example/mcp#part');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('resource "https://api.example/mcp#part" must not have a fragment');
  });

  it('SPEC §13 / RFC 9449: --require-dpop at creation; apps set-dpop turns it on and off; one of the two flags is needed', async () => {
    const plain = JSON.parse((await latchkey('apps', 'create', '--name', 'No DPoP', '--json')).stdout);
    expect(plain.requireDpop).toBe(false);
    const created = await latchkey('apps', 'create', '--name', 'DPoP only', '--require-dpop', '--json');
    expect(created.code).toBe(0);
    const app = JSON.parse(created.stdout);
    expect(app.requireDpop).toBe(true);
    const off = await latchkey('apps', 'set-dpop', '--id', app.id, '--no-require-dpop', '--json');
    expect([off.code, JSON.parse(off.stdout).requireDpop]).toEqual([0, false]);
    const on = await latchkey('apps', 'set-dpop', '--id', app.id, '--require-dpop');
    expect([on.code, on.stdout.trim()]).toEqual([0, `${app.id} requires DPoP`]);
    const neither = await latchkey('apps', 'set-dpop', '--id', app.id);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain('apps set-dpop needs --id and one of --require-dpop, --no-require-dpop');
  });

  it('--pkce optional, --access-token-alg RS256 and --post-logout-redirect-uri are stored; --scope replaces the default list', async () => {
    const created = await latchkey(
      'apps', 'create', '--name', 'Certified RP', '--pkce', 'optional', '--access-token-alg', 'RS256', '--scope', 'openid',
      '--post-logout-redirect-uri', 'https://rp.example/signed-out', '--json',
    );
    expect(created.code).toBe(0);
    const app = JSON.parse(created.stdout);
    expect(app).toMatchObject({ allowedScopes: ['openid'], pkce: 'optional', accessTokenAlg: 'RS256', postLogoutRedirectUris: ['https://rp.example/signed-out'] });
    expect(await server.server.runtime.deps.store.getApplication(app.id)).toMatchObject({ pkcePolicy: 'optional', accessTokenAlg: 'RS256' });
  });

  it('RFC 9700 §2.1.1: a public application cannot make PKCE optional — one line, nothing created', async () => {
    const before = await count();
    const refused = await latchkey('apps', 'create', '--name', 'Leaky', '--type', 'public', '--pkce', 'optional', '--json');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/PKCE cannot be optional for a public application/);
    expect(refused.stderr).not.toMatch(STACK_LINE);
    expect(await count()).toBe(before);
  });

  it('bad values are refused with the option named: --pkce, --access-token-alg, a script post-logout URI', async () => {
    const before = await count();
    for (const [args, message] of [
      [['--pkce', 'sometimes'], /--pkce must be required or optional/],
      [['--access-token-alg', 'HS256'], /--access-token-alg must be EdDSA or RS256/],
      [['--post-logout-redirect-uri', 'javascript:alert(1)'], /post-logout redirect URI/],
    ] as const) {
      const refused = await latchkey('apps', 'create', '--name', 'Bad', ...args, '--json');
      expect(refused.code, args.join(' ')).not.toBe(0);
      expect(refused.stderr).toMatch(message);
    }
    expect(await count()).toBe(before);
  });
});
