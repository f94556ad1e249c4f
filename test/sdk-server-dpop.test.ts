import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressMiddleware, honoMiddleware, type AccessTokenClaims, type LatchkeyVariables } from '../src/sdk/server/index.js';
import { dpopKey, dpopProof, type DpopKey } from './helpers/dpop.js';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

async function listen(server: { listening: boolean; once: (event: 'listening', listener: () => void) => unknown; address: () => unknown }): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// SPEC §13: latchkey/server's middleware checks DPoP proofs for bound tokens (RFC 9449 §7).
describeEachEngine('latchkey/server with DPoP-bound tokens (RFC 9449 §7)', (engine) => {
  let server: TestServer;
  let key: DpopKey;
  const urls: Record<'hono' | 'express', string> = { hono: '', express: '' };
  const closers: Array<() => void> = [];

  beforeAll(async () => {
    server = await startTestServer(engine);
    key = await dpopKey();
    const options = () => ({ issuer: server.url, currentDate: new Date(server.clock.now()) });
    const hono = new Hono<{ Variables: LatchkeyVariables }>();
    hono.use('/api/*', async (c, next) => honoMiddleware(options())(c, next));
    hono.get('/api/whoami', (c) => c.json({ sub: c.get('latchkey').sub }));
    const honoServer: ServerType = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' });
    urls.hono = await listen(honoServer);
    closers.push(() => honoServer.close());
    const app = express();
    app.use('/api', (req, res, next) => expressMiddleware(options())(req, res, next));
    app.get('/api/whoami', (req, res) => {
      res.json({ sub: (req as typeof req & { latchkey?: AccessTokenClaims }).latchkey!.sub });
    });
    const expressServer = app.listen(0, '127.0.0.1');
    urls.express = await listen(expressServer);
    closers.push(() => expressServer.close());
  });
  afterAll(async () => {
    for (const close of closers) close();
    await server?.close();
  });

  async function boundConsumerToken(): Promise<string> {
    const response = await server.request('/auth/guest', {
      method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey, dpop: await dpopProof(key, 'POST', `${server.url}/auth/guest`) },
    });
    return (await response.json()).accessToken;
  }

  for (const framework of ['hono', 'express'] as const) {
    describe(framework, () => {
      let token: string;
      const whoami = () => `${urls[framework]}/api/whoami`;
      const call = (headers: Record<string, string>) => fetch(whoami(), { headers });
      beforeAll(async () => {
        token = await boundConsumerToken();
      });

      it(`RFC 9449 §7.1: Authorization: DPoP with a proof by the token's key (htm, htu, ath) is accepted`, async () => {
        const response = await call({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', whoami(), { accessToken: token }) });
        expect(response.status).toBe(200);
      });

      it('RFC 9449 §4.3 check 9: htu is compared without the query string', async () => {
        const response = await fetch(`${whoami()}?x=1`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', whoami(), { accessToken: token }) } });
        expect(response.status).toBe(200);
      });

      const refusals: Array<[string, () => Promise<Record<string, string>>, string, string]> = [
        ['§7.2: the bound token as a Bearer token', async () => ({ authorization: `Bearer ${token}` }), 'invalid_token', 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof'],
        ['no proof', async () => ({ authorization: `DPoP ${token}` }), 'invalid_dpop_proof', 'send exactly one DPoP proof with a DPoP-bound access token'],
        ['§4.3 check 9: htu of another resource', async () => ({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', `${urls[framework]}/api/other`, { accessToken: token }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htu is not the URL of this request'],
        ['§4.3 check 8: htm of another method', async () => ({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'POST', whoami(), { accessToken: token }) }), 'invalid_dpop_proof', 'the DPoP proof\'s htm is not the method of this request'],
        ['§4.3 check 10: ath of another token', async () => ({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', whoami(), { accessToken: 'other' }) }), 'invalid_dpop_proof', 'the DPoP proof\'s ath does not match the access token'],
        ['§4.3 check 11: iat too old', async () => ({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', whoami(), { accessToken: token, claims: { iat: Math.floor(Date.now() / 1000) - 600 } }) }), 'invalid_dpop_proof', 'the DPoP proof\'s iat is too far from now'],
        ['jkt: a proof by another key', async () => ({ authorization: `DPoP ${token}`, dpop: await dpopProof(await dpopKey(), 'GET', whoami(), { accessToken: token }) }), 'invalid_dpop_proof', 'the DPoP proof is by another key than the access token\'s'],
      ];
      for (const [title, headers, error, description] of refusals) {
        it(`RFC 9449 ${title} → 401 ${error} with a DPoP challenge`, async () => {
          const response = await call(await headers());
          expect(response.status).toBe(401);
          expect(await response.json()).toEqual({ error, error_description: description });
          expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^DPoP realm="api", error="${error}", error_description="[^"]*", algs="ES256 `));
        });
      }

      it('RFC 9449 §11.1: a replayed proof is refused (in-memory replay cache)', async () => {
        const headers = { authorization: `DPoP ${token}`, dpop: await dpopProof(key, 'GET', whoami(), { accessToken: token }) };
        expect((await call(headers)).status).toBe(200);
        const replay = await call(headers);
        expect(replay.status).toBe(401);
        expect(await replay.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used (jti)' });
      });
    });
  }

  it('RFC 9449 §7 with oauth4webapi: a DPoP-bound OAuth token and the proofs oauth4webapi makes are accepted by the middleware', async () => {
    const issuer = new URL(server.url);
    const options = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
    const app = await createOAuthApp(server, { type: 'confidential' });
    const client = { client_id: app.publishableKey };
    const dpop = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const grant = async () => oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(app.secretKey), new URLSearchParams({ scope: 'profile' }), { ...options, DPoP: dpop }));
    const tokens = await grant().catch((error: unknown) => (oauth.isDPoPNonceError(error) ? grant() : Promise.reject(error)));
    expect(tokens.token_type).toBe('dpop');
    for (const framework of ['hono', 'express'] as const) {
      const response = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${urls[framework]}/api/whoami`), undefined, undefined, { ...options, DPoP: dpop });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: app.id });
    }
  });
});
