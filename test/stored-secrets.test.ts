import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDatabase } from './helpers/database-dump.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, exchange } from './helpers/flows.js';
import { basicOf, createOAuthApp, createPasswordUser, obtainCode, tokenRequest } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('base64url');

/**
 * SPEC §4: opaque secrets are stored only as SHA-256. Read from a dump of every table — what someone
 * who copied the database would hold — each secret is absent in every spelling (whole, its random
 * part, that part in hex) and present as its SHA-256, by which it is looked up.
 */
function expectOnlyHashed(dump: string, secrets: Record<string, string>) {
  for (const [name, secret] of Object.entries(secrets)) {
    const random = secret.replace(/^(exc|ac|rt|sk_[a-z]+)_/, '');
    expect(random.length, name).toBeGreaterThanOrEqual(43);
    for (const spelling of [secret, random, Buffer.from(random, 'base64url').toString('hex')]) {
      expect(dump.includes(spelling), `${name} in clear`).toBe(false);
    }
    expect(dump.includes(sha256(secret)), `${name} as SHA-256`).toBe(true);
  }
}

describeEachEngine('SPEC §4: opaque secrets at rest', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('SPEC §4: exchange codes, authorization codes, OAuth refresh tokens and client secrets are stored only as SHA-256 — before and after use', async () => {
    const minted = await authorize(server, server.demo, { ...IDENTITY, subject: 'at-rest' });
    const { exchangeCode } = await minted.json();
    const unusedExchangeCode = (await (await authorize(server, server.demo, { ...IDENTITY, subject: 'at-rest-2' })).json()).exchangeCode;
    expect((await exchange(server, server.demo, { exchangeCode })).status).toBe(200);

    const app = await createOAuthApp(server);
    const user = await createPasswordUser(server);
    const { code, verifier } = await obtainCode(server, app, user);
    const unused = await obtainCode(server, app, user);
    const tokens = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    expect(tokens.status).toBe(200);
    const { refresh_token: oauthRefreshToken } = await tokens.json();

    expectOnlyHashed(await dumpDatabase(server.server.runtime.config.databaseUrl), {
      'used exchange code': exchangeCode,
      'unused exchange code': unusedExchangeCode,
      'used authorization code': code,
      'unused authorization code': unused.code,
      'OAuth refresh token': oauthRefreshToken,
      'client secret': app.secretKey,
    });
  });
});
