import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDatabase } from './helpers/database-dump.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, me, refresh, signIn } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('POST /auth/refresh and POST /auth/logout', (engine) => {
  let server: TestServer;
  let counter = 0;
  const freshSession = () => signIn(server, server.demo, { ...IDENTITY, subject: `refresh-${++counter}` });

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('SPEC §5.5: rotation returns a new refresh token and a fresh access token', async () => {
    const session = await freshSession();
    server.clock.advance(30);
    const response = await refresh(server, server.demo, session.refreshToken);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      accessToken: expect.stringMatching(/^ey/),
      accessTokenExpiresAt: new Date(server.clock.now() + 3600_000).toISOString(),
      refreshToken: expect.stringMatching(/^rt_[\w-]{43}$/),
      refreshTokenTtlSeconds: 2592000,
      beaconToken: expect.stringMatching(/^ey/),
    });
    expect(body.refreshToken).not.toBe(session.refreshToken);
    expect((await me(server, body.accessToken)).status).toBe(200);
    // The successor rotates in turn.
    expect((await refresh(server, server.demo, body.refreshToken)).status).toBe(200);
  });

  it('SPEC §4 reuse window: a replay inside the window returns the same successor', async () => {
    const session = await freshSession();
    const first = await (await refresh(server, server.demo, session.refreshToken)).json();
    server.clock.advance(9);
    const replay = await refresh(server, server.demo, session.refreshToken);
    expect(replay.status).toBe(200);
    const second = await replay.json();
    expect(second.refreshToken).toBe(first.refreshToken);
    expect((await me(server, second.accessToken)).status).toBe(200);
    // The session survives: the successor is still good.
    expect((await refresh(server, server.demo, first.refreshToken)).status).toBe(200);
  });

  it('SPEC §4: refresh tokens, the successor the reuse window hands out and the secret key are stored only as SHA-256, never in clear', async () => {
    const session = await freshSession();
    const first = await (await refresh(server, server.demo, session.refreshToken)).json();
    server.clock.advance(5);
    // Inside the window the server can give the same successor again: it did not need it in clear.
    expect((await (await refresh(server, server.demo, session.refreshToken)).json()).refreshToken).toBe(first.refreshToken);
    const dump = await dumpDatabase(server.server.runtime.config.databaseUrl);
    const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');
    // The application's secret key is an opaque secret too.
    for (const token of [session.refreshToken, first.refreshToken, server.demo.secretKey]) {
      const random = token.replace(/^(rt|sk_[a-z]+)_/, '');
      // Neither the token, nor its random part, nor a hex spelling of it is anywhere in the database…
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(random);
      expect(dump).not.toContain(Buffer.from(random, 'base64url').toString('hex'));
      // …but its SHA-256 is: that is how it is looked up.
      expect(dump).toContain(sha256(token));
    }
  });

  it('SPEC §4: concurrent refreshes with one token (two tabs) all succeed with one successor', async () => {
    const session = await freshSession();
    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(server, server.demo, session.refreshToken)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const tokens = new Set(await Promise.all(responses.map(async (r) => (await r.json()).refreshToken)));
    expect(tokens.size).toBe(1);
  });

  it('SPEC §4 / RFC 9700 §4.14.2: a replay outside the window revokes the whole session', async () => {
    const session = await freshSession();
    const first = await (await refresh(server, server.demo, session.refreshToken)).json();
    server.clock.advance(11);
    const replay = await refresh(server, server.demo, session.refreshToken);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'invalid_refresh_token', message: expect.any(String) });
    // The successor and every access token of the session are dead too.
    expect((await refresh(server, server.demo, first.refreshToken)).status).toBe(401);
    expect((await me(server, first.accessToken)).status).toBe(401);
    expect((await me(server, session.accessToken)).status).toBe(401);
  });

  it('SPEC §4: a replay inside the window after the successor was used is theft too', async () => {
    const session = await freshSession();
    const first = await (await refresh(server, server.demo, session.refreshToken)).json();
    const second = await (await refresh(server, server.demo, first.refreshToken)).json();
    const replay = await refresh(server, server.demo, session.refreshToken);
    expect(replay.status).toBe(401);
    expect((await refresh(server, server.demo, second.refreshToken)).status).toBe(401);
  });

  it('SPEC §5.5: unknown and expired refresh tokens → 401 invalid_refresh_token', async () => {
    const unknown = await refresh(server, server.demo, `rt_${'x'.repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error).toBe('invalid_refresh_token');
    const session = await freshSession();
    server.clock.advance(30 * 86400 + 1);
    const expired = await refresh(server, server.demo, session.refreshToken);
    expect(expired.status).toBe(401);
    expect((await expired.json()).error).toBe('invalid_refresh_token');
  });

  it('a refresh token presented by another application → 401, and its session is untouched', async () => {
    const other = await server.createApp();
    const session = await freshSession();
    expect((await refresh(server, other, session.refreshToken)).status).toBe(401);
    expect((await refresh(server, server.demo, session.refreshToken)).status).toBe(200);
  });

  it('SPEC §5.6: logout → 204; the access token and every refresh token of the session die', async () => {
    const session = await freshSession();
    const rotated = await (await refresh(server, server.demo, session.refreshToken)).json();
    const response = await server.request('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${rotated.accessToken}` } });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await me(server, rotated.accessToken)).status).toBe(401);
    expect((await me(server, session.accessToken)).status).toBe(401);
    expect((await refresh(server, server.demo, rotated.refreshToken)).status).toBe(401);
    // Even inside the reuse window, the rotated predecessor gives nothing back.
    expect((await refresh(server, server.demo, session.refreshToken)).status).toBe(401);
  });

  it('SPEC §2: logout and /consumers/me refuse a secret key (403) and a missing token (401)', async () => {
    for (const [method, path] of [['POST', '/auth/logout'], ['GET', '/consumers/me']] as const) {
      const withSecret = await server.request(path, { method, headers: { authorization: `Bearer ${server.demo.secretKey}` } });
      expect(withSecret.status).toBe(403);
      expect((await withSecret.json()).error).toBe('forbidden');
      const bare = await server.request(path, { method });
      expect(bare.status).toBe(401);
      expect((await bare.json()).error).toBe('authentication_required');
      expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      const garbage = await server.request(path, { method, headers: { authorization: 'Bearer not-a-jwt' } });
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('SPEC §5.7: /consumers/me answers the profile; an expired access token → 401', async () => {
    const session = await signIn(server, server.demo, { ...IDENTITY, subject: 'me-1', claims: { email: 'me@example.com', fullName: 'Me Myself' } });
    const response = await me(server, session.accessToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: session.session.consumerId,
      type: 'authenticated',
      email: 'me@example.com',
      fullName: 'Me Myself',
      createdAt: new Date(server.clock.now()).toISOString(),
      identities: [{ provider: 'shop', issuer: 'https://shop.example', subject: 'me-1' }],
    });
    server.clock.advance(3601);
    expect((await me(server, session.accessToken)).status).toBe(401);
  });

  it('the beacon token is not an access token', async () => {
    const session = await freshSession();
    expect((await me(server, session.beaconToken)).status).toBe(401);
  });
});
