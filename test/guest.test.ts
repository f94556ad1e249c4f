import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/crypto/hash.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, me, refresh, signIn } from './helpers/flows.js';
import { latestCode, requestOtp, signInByEmail, startGuest, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('guests and guest linking', (engine) => {
  let server: TestServer;
  let counter = 0;
  const freshEmail = () => `guest${++counter}@example.com`;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  /** Exchange with a guest's access token sent along. */
  const exchangeAsGuest = (exchangeCode: string, guestToken: string) =>
    server.request('/auth/external/exchange', {
      json: { exchangeCode },
      headers: { 'x-publishable-key': server.demo.publishableKey, authorization: `Bearer ${guestToken}` },
    });

  async function expectGuestSessionEnded(guest: { accessToken: string; refreshToken: string }) {
    expect((await me(server, guest.accessToken)).status).toBe(401);
    expect((await refresh(server, server.demo, guest.refreshToken)).status).toBe(401);
  }

  it('SPEC §5.3: POST /auth/guest → AuthSession type guest for a new guest consumer', async () => {
    const guest = await startGuest(server);
    expect(guest).toEqual({
      session: { type: 'guest', consumerId: expect.stringMatching(/^con_/), expiresAt: new Date(server.clock.now() + 3600_000).toISOString() },
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^rt_/),
      refreshTokenTtlSeconds: 2592000,
      beaconToken: expect.any(String),
    });
    const profile = await (await me(server, guest.accessToken)).json();
    expect(profile).toEqual({ id: guest.session.consumerId, type: 'guest', createdAt: expect.any(String), identities: [] });
    const other = await startGuest(server);
    expect(other.session.consumerId).not.toBe(guest.session.consumerId);
  });

  it('SPEC §5.4 OTP: a guest verifying a new address is upgraded in place (same consumerId)', async () => {
    const guest = await startGuest(server);
    const email = freshEmail();
    const session = await signInByEmail(server, email, guest.accessToken);
    expect(session.session).toEqual({ type: 'authenticated', consumerId: guest.session.consumerId, expiresAt: expect.any(String), email });
    const profile = await (await me(server, session.accessToken)).json();
    expect(profile).toMatchObject({ id: guest.session.consumerId, type: 'authenticated', email });
    await expectGuestSessionEnded(guest);
  });

  it('SPEC §5.4 OTP: a guest verifying a known address signs into that consumer, guestId reported', async () => {
    const email = freshEmail();
    const owner = await signInByEmail(server, email);
    server.clock.advance(61);
    const guest = await startGuest(server);
    const session = await signInByEmail(server, email, guest.accessToken);
    expect(session.session).toMatchObject({ type: 'authenticated', consumerId: owner.session.consumerId, guestId: guest.session.consumerId });
    await expectGuestSessionEnded(guest);
    const absorbed = await server.server.runtime.store.getConsumer(guest.session.consumerId);
    expect(absorbed!.mergedIntoId).toBe(owner.session.consumerId);
  });

  it('SPEC §5.2/§5.4 exchange: a guest redeeming a code of a new identity is upgraded in place', async () => {
    const guest = await startGuest(server);
    const minted = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'guest-new-1', claims: { email: 'new1@shop.example' } })).json();
    expect(minted.resolution).toBe('created');
    const response = await exchangeAsGuest(minted.exchangeCode, guest.accessToken);
    expect(response.status).toBe(200);
    const session = await response.json();
    expect(session.session).toEqual({ type: 'authenticated', consumerId: guest.session.consumerId, expiresAt: expect.any(String), email: 'new1@shop.example' });
    await expectGuestSessionEnded(guest);
    // The identity now belongs to the guest's consumer for good.
    const again = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'guest-new-1' })).json();
    expect(again.resolution).toBe('existing');
    const next = await (await server.request('/auth/external/exchange', { json: { exchangeCode: again.exchangeCode }, headers: { 'x-publishable-key': server.demo.publishableKey } })).json();
    expect(next.session.consumerId).toBe(guest.session.consumerId);
    const profile = await (await me(server, next.accessToken)).json();
    expect(profile.identities).toEqual([{ provider: 'shop', issuer: 'https://shop.example', subject: 'guest-new-1' }]);
  });

  it('SPEC §5.2/§5.4 exchange: a guest redeeming a code of a known identity is absorbed (guestId)', async () => {
    const identity = { ...IDENTITY, subject: 'guest-known-1' };
    const first = await (await authorize(server, server.demo, identity)).json();
    const owner = await (await server.request('/auth/external/exchange', { json: { exchangeCode: first.exchangeCode }, headers: { 'x-publishable-key': server.demo.publishableKey } })).json();
    const guest = await startGuest(server);
    const second = await (await authorize(server, server.demo, identity)).json();
    const session = await (await exchangeAsGuest(second.exchangeCode, guest.accessToken)).json();
    expect(session.session).toMatchObject({ consumerId: owner.session.consumerId, guestId: guest.session.consumerId, type: 'authenticated' });
    await expectGuestSessionEnded(guest);
  });

  it('SPEC §5.4: one guest linked by two requests at once gets one outcome, the other request is refused', async () => {
    const known = freshEmail();
    await signInByEmail(server, known);
    server.clock.advance(61);
    const fresh = freshEmail();
    const guest = await startGuest(server);
    await requestOtp(server, { email: known });
    await requestOtp(server, { email: fresh });
    const [a, b] = await Promise.all([
      verifyOtp(server, { email: known, code: await latestCode(server, known) }, { guestToken: guest.accessToken }),
      verifyOtp(server, { email: fresh, code: await latestCode(server, fresh) }, { guestToken: guest.accessToken }),
    ]);
    const statuses = [a.status, b.status].sort();
    // Either both were serialized (the second sees a dead guest token: 401) or one lost the claim (401).
    expect(statuses).toEqual([200, 401]);
    const stored = (await server.server.runtime.store.getConsumer(guest.session.consumerId))!;
    const winner = await (a.status === 200 ? a : b).json();
    if (winner.session.guestId) {
      expect(stored).toMatchObject({ type: 'guest', mergedIntoId: winner.session.consumerId });
    } else {
      expect(stored).toMatchObject({ type: 'authenticated', mergedIntoId: null, email: fresh });
    }
  });

  it('a guest token of another application is not linked, and that guest lives on', async () => {
    const other = await server.createApp();
    const foreignGuest = await startGuest(server, other);
    const email = freshEmail();
    const session = await signInByEmail(server, email, foreignGuest.accessToken);
    expect(session.session.consumerId).not.toBe(foreignGuest.session.consumerId);
    expect(session.session.guestId).toBeUndefined();
    expect((await me(server, foreignGuest.accessToken)).status).toBe(200);
  });

  it('a revoked guest token sent along → 401 and the code is not spent', async () => {
    const guest = await startGuest(server);
    await server.request('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${guest.accessToken}` } });
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    expect((await verifyOtp(server, { email, code }, { guestToken: guest.accessToken })).status).toBe(401);
    expect((await verifyOtp(server, { email, code })).status).toBe(200);
  });

  it('issue 12.1 / SPEC §5.4: a sign-in whose guest was linked elsewhere first → 401, and its exchange or OTP code is not used up', async () => {
    const { store } = server.server.runtime;
    const owner = await signIn(server, server.demo, { ...IDENTITY, subject: 'linked-first' });
    const guest = await startGuest(server);
    // Another sign-in absorbed the guest a moment ago; its token still reaches the flow.
    expect(await store.markGuestAbsorbed(guest.session.consumerId, owner.session.consumerId, server.clock.now())).toBe(true);
    const { exchangeCode } = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'linked-first' })).json();
    const refused = await exchangeAsGuest(exchangeCode, guest.accessToken);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'authentication_required', message: 'this guest session has already been linked to an account' });
    expect((await store.findExchangeCode(hashSecret(exchangeCode)))!.consumedAt).toBeNull();
    expect((await server.request('/auth/external/exchange', { json: { exchangeCode }, headers: { 'x-publishable-key': server.demo.publishableKey } })).status).toBe(200);

    const email = freshEmail();
    await signInByEmail(server, email);
    server.clock.advance(61);
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    expect((await verifyOtp(server, { email, code }, { guestToken: guest.accessToken })).status).toBe(401);
    expect((await verifyOtp(server, { email, code })).status).toBe(200);
  });

  it('an exchange upgrade leaves the consumer minted for the code as a tombstone pointing at the guest', async () => {
    const guest = await startGuest(server);
    const minted = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'tombstone-1' })).json();
    const session = await (await exchangeAsGuest(minted.exchangeCode, guest.accessToken)).json();
    expect(session.session.consumerId).toBe(guest.session.consumerId);
    const { deps } = server.server.runtime;
    const tombstoneId = (await deps.store.findExchangeCode(hashSecret(minted.exchangeCode)))!.consumerId;
    expect(tombstoneId).not.toBe(guest.session.consumerId);
    expect((await deps.store.getConsumer(tombstoneId))!.mergedIntoId).toBe(guest.session.consumerId);
  });

  it('an invalid token sent along → 401; an authenticated session sent along is not linked', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    const garbage = await verifyOtp(server, { email, code }, { guestToken: 'not.a.jwt' });
    expect(garbage.status).toBe(401);
    const authenticated = await signInByEmail(server, freshEmail());
    const session = await (await verifyOtp(server, { email, code }, { guestToken: authenticated.accessToken })).json();
    expect(session.session.guestId).toBeUndefined();
    expect(session.session.consumerId).not.toBe(authenticated.session.consumerId);
    expect((await me(server, authenticated.accessToken)).status).toBe(200);
  });
});
