import { createPrivateKey, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { openAtRest, sealedUnder } from './helpers/at-rest.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, me, refresh, signIn } from './helpers/flows.js';
import { basicOf, createPasswordUser, tokenRequest } from './helpers/oauth.js';
import { codeFor, createOidcApp, exchange, userInfo } from './helpers/oidc.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Runs the real CLI in-process against the server's database and returns its --json output. */
async function cli(server: TestServer, args: string[]): Promise<any> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = await main(args, {
      LATCHKEY_DATABASE_URL: server.server.runtime.config.databaseUrl,
      LATCHKEY_SECRET: server.server.runtime.config.secret,
      LATCHKEY_LOG_LEVEL: 'silent',
    });
    expect(code).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out);
}

describeEachEngine('tokens and JWKS', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_ISSUER: 'https://auth.example.test' });
  });
  afterAll(() => server?.close());

  const verify = (token: string, jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))) =>
    jwtVerify(token, jwks, { issuer: 'https://auth.example.test', currentDate: new Date(server.clock.now()), algorithms: ['EdDSA'] });

  it('SPEC §4: the access token verifies with jose createRemoteJWKSet and carries every claim', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'jwks-1' });
    const { payload, protectedHeader } = await verify(session.accessToken);
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: expect.any(String), typ: 'consumer+jwt' });
    const iat = Math.floor(server.clock.now() / 1000);
    expect(payload).toEqual({
      iss: 'https://auth.example.test',
      sub: session.session.consumerId,
      aud: server.demo.publishableKey,
      org: expect.stringMatching(/^org_/),
      sid: expect.stringMatching(/^ses_/),
      session_type: 'authenticated',
      iat,
      exp: iat + 3600,
      jti: expect.any(String),
    });
    const beacon = await verify(session.beaconToken);
    expect(beacon.protectedHeader.typ).toBe('beacon+jwt');
    expect(beacon.payload).toMatchObject({ scope: 'beacon', exp: iat + 3600, sub: session.session.consumerId });
  });

  it('SPEC §4: the JWKS publishes public keys only — Ed25519 for Latchkey\'s tokens, one RSA key for ID tokens', async () => {
    const response = await server.request('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    const { keys } = await response.json();
    const eddsa = keys.filter((k: { alg: string }) => k.alg === 'EdDSA');
    const rsa = keys.filter((k: { alg: string }) => k.alg === 'RS256');
    expect(eddsa.length + rsa.length).toBe(keys.length);
    expect(eddsa.length).toBeGreaterThan(0);
    expect(rsa).toHaveLength(1);
    for (const key of eddsa) expect(key).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
    // No private parameter (d, p, q, dp, dq, qi) of the RSA key is published.
    expect(rsa[0]).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' });
    expect(Buffer.from(rsa[0].n, 'base64url').length * 8).toBe(2048);
  });

  it('RFC 7638: every published `kid` is the SHA-256 JWK thumbprint of its key, and tokens name it', async () => {
    const { keys } = await (await server.request('/.well-known/jwks.json')).json();
    for (const key of keys) {
      // Only the required members (RFC 7638 §3.2) — jose computes the thumbprint, not the server.
      const required = key.kty === 'OKP' ? { kty: key.kty, crv: key.crv, x: key.x } : { kty: key.kty, e: key.e, n: key.n };
      expect(key.kid).toBe(await calculateJwkThumbprint(required, 'sha256'));
    }
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'jwks-thumbprint' });
    const { kid } = decodeProtectedHeader(session.accessToken);
    const signer = keys.find((k: { kid: string }) => k.kid === kid);
    expect(signer).toBeDefined();
    expect(kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: signer.x }));
  });

  it('SPEC §4: every signing key is encrypted at rest under LATCHKEY_SECRET, and opens to its own private key', async () => {
    const keys = await server.server.runtime.store.listPublishedSigningKeys(server.clock.now());
    expect(new Set(keys.map((k) => k.algorithm))).toEqual(new Set(['EdDSA', 'RS256']));
    const sealed = new Set<string>();
    for (const key of keys) {
      expect(key.privateKeySealed).not.toContain('"d"');
      // Opened by a key derived in the test (test/helpers/at-rest.ts), not by the server's code…
      const privateJwk = JSON.parse(openAtRest(server.server.runtime.config.secret!, key.privateKeySealed));
      expect(privateJwk.d).toEqual(expect.any(String));
      // …it is the private half of the published key…
      const publicOfPrivate = createPublicKey(createPrivateKey({ key: privateJwk, format: 'jwk' })).export({ format: 'jwk' });
      expect(await calculateJwkThumbprint(publicOfPrivate as never)).toBe(key.kid);
      // …and under another secret it does not open.
      expect(sealedUnder('another-secret-entirely-0123456789', key.privateKeySealed)).toBe(false);
      sealed.add(key.privateKeySealed);
    }
    expect(sealed.size).toBe(keys.length);
  });

  it('SPEC §4: after `latchkey keys rotate` old tokens still verify and new tokens use the new key', async () => {
    const before = await signIn(server, server.demo, { ...IDENTITY, subject: 'jwks-rotate' });
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const rotated = await cli(server, ['keys', 'rotate', '--json']);
    expect(rotated.kid).not.toBe(oldKid);

    // Stored as published at once; signing starts only after twice LATCHKEY_KEY_CACHE_SECONDS (30 s):
    // every instance has reloaded its cache, and every verifier its cached JWKS.
    expect(Date.parse(rotated.signsFrom) - Date.parse(rotated.publishedAt)).toBe(60_000);
    const stillOld = await (await refresh(server, server.demo, before.refreshToken)).json();
    expect(decodeProtectedHeader(stillOld.accessToken).kid).toBe(oldKid);
    // The CLI ran on the system clock: bring the server's test clock to it, then past the delay.
    server.clock.catchUpWithSystemClock();
    server.clock.advance(31);
    // One cache period later: published by this instance, not yet signing.
    const jwks = (await (await server.request('/.well-known/jwks.json')).json()).keys.map((k: { kid: string }) => k.kid);
    expect(jwks).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
    const meanwhile = await (await refresh(server, server.demo, stillOld.refreshToken)).json();
    expect(decodeProtectedHeader(meanwhile.accessToken).kid).toBe(oldKid);
    server.clock.advance(30);

    const after = await (await refresh(server, server.demo, meanwhile.refreshToken)).json();
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotated.kid);
    const freshJwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    await expect(verify(before.accessToken, freshJwks)).resolves.toBeDefined();
    await expect(verify(after.accessToken, freshJwks)).resolves.toBeDefined();
    // The server itself accepts both.
    expect((await me(server, before.accessToken)).status).toBe(200);
    expect((await me(server, after.accessToken)).status).toBe(200);
  });

  it('SPEC §4: a retired key leaves the JWKS once the longest token lifetime has passed', async () => {
    const rotated = await cli(server, ['keys', 'rotate', '--json']);
    server.clock.catchUpWithSystemClock();
    server.clock.advance(31);
    const before = (await (await server.request('/.well-known/jwks.json')).json()).keys.length;
    expect(before).toBeGreaterThan(1);
    server.clock.advance(7 * 3600);
    const kids = (await (await server.request('/.well-known/jwks.json')).json()).keys.map((k: { kid: string }) => k.kid);
    expect(kids.sort()).toEqual([rotated.kid, rotated.idTokenKid].sort());
  });
  it('SPEC §9 / RFC 9068 §2.1: an application with accessTokenAlg RS256 gets RS256 `at+jwt` tokens that verify against the JWKS and work at every endpoint of Latchkey', async () => {
    const app = await createOidcApp(server, { accessTokenAlg: 'RS256' });
    const user = await createPasswordUser(server);
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid email offline_access' });
    const tokens = await exchange(server, app, code, verifier);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: 'https://auth.example.test', audience: 'https://auth.example.test', algorithms: ['RS256'], typ: 'at+jwt', currentDate: new Date(server.clock.now()),
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: expect.any(String), typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.id, client_id: app.publishableKey, scope: 'openid email offline_access' });
    const bearer = { headers: { authorization: `Bearer ${tokens.access_token}` } };
    expect((await server.request('/v1/user', bearer)).status).toBe(200);
    expect((await userInfo(server, tokens.access_token)).status).toBe(200);
    const form = (path: string, token: string) => server.request(path, {
      method: 'POST', body: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.publishableKey}:${app.secretKey}`).toString('base64')}` },
    });
    expect(await (await form('/v1/auth/oauth/introspect', tokens.access_token)).json()).toMatchObject({ active: true, sub: user.id });
    // The refreshed token is RS256 too; RFC 7009 revokes by the RS256 access token itself.
    const refreshed = await (await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app))).json();
    expect(decodeProtectedHeader(refreshed.access_token).alg).toBe('RS256');
    expect((await form('/v1/auth/oauth/revoke', refreshed.access_token)).status).toBe(200);
    expect((await server.request('/v1/user', { headers: { authorization: `Bearer ${refreshed.access_token}` } })).status).toBe(401);
    // client_credentials tokens of the application follow its algorithm.
    const machine = await (await tokenRequest(server, { grant_type: 'client_credentials' }, basicOf(app))).json();
    expect(decodeProtectedHeader(machine.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(await (await form('/v1/auth/oauth/introspect', machine.access_token)).json()).toMatchObject({ active: true });
  });

  it('SPEC §4 / §9: applications that did not ask keep EdDSA access tokens', async () => {
    const app = await createOidcApp(server);
    const user = await createPasswordUser(server);
    const { code, verifier } = await codeFor(server, app, user, { scope: 'openid' });
    expect(decodeProtectedHeader((await exchange(server, app, code, verifier)).access_token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
  });
});
