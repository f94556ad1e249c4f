import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminRequest, createAdminToken, type TestAdminToken } from './helpers/admin.js';
import { dumpDatabase } from './helpers/database-dump.js';
import { describeEachEngine } from './helpers/engines.js';
import { authorize, exchange, me, refresh } from './helpers/flows.js';
import { basicOf, createOAuthApp, initiate, login, obtainCode, pkce, standardQuery, tokenRequest, type OAuthApp } from './helpers/oauth.js';
import { latestCode, requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const PASSWORD = 'correct horse battery staple';
let counter = 0;

// SPEC §10 / issue 17: the consumers (users) resource of the admin API, on the real admin listener.
describeEachEngine('issue 17 / SPEC §10: admin API consumers', (engine) => {
  let server: TestServer;
  let all: TestAdminToken;
  let mine: TestAdminToken;
  let app: OAuthApp;
  let defaultOrg: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    all = await createAdminToken(server, { name: 'ops', organizationId: null });
    mine = await createAdminToken(server, { name: 'support' });
    defaultOrg = mine.organizationId!;
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  const unique = () => `${++counter}-${randomBytes(3).toString('hex')}`;
  /** A user made through POST /admin/v1/consumers: its body and what it was made with. */
  async function createUser(extra: { phone?: string; fullName?: string; organizationId?: string } = {}, token: TestAdminToken = mine) {
    const email = `Person${unique()}@Example.com`;
    const response = await adminRequest(server, token, 'POST', '/admin/v1/consumers', { email, password: PASSWORD, ...extra });
    expect(response.status, await response.clone().text()).toBe(201);
    return { ...(await response.json()), password: PASSWORD, givenEmail: email };
  }
  const get = (path: string, token: TestAdminToken = mine) => adminRequest(server, token, 'GET', path);
  const auditOf = async (type: string) => (await server.server.runtime.store.listAuditEvents(defaultOrg, type));

  it('create → 201 like `users create` (email lower-cased, SMS second factor with a phone); get shows identities and second factors; the event names the token', async () => {
    const user = await createUser({ phone: '+1 415 555 0100', fullName: 'Grace Hopper' });
    expect(user).toMatchObject({
      organizationId: defaultOrg, environment: 'test', type: 'authenticated', email: user.givenEmail.toLowerCase(), phone: '+14155550100',
      fullName: 'Grace Hopper', secondFactors: [{ type: 'sms', phone: '+14155550100' }], disabledAt: null,
    });
    const details = await (await get(`/admin/v1/consumers/${user.id}`)).json();
    expect(details.identities).toEqual([{ provider: 'email', issuer: 'latchkey', subject: user.email }]);
    expect(details.secondFactors).toEqual([{ type: 'sms', phone: '+14155550100' }]);
    const [event] = (await auditOf('user.created')).filter((e) => e.data.consumerId === user.id);
    expect(event!.data.actor).toEqual({ type: 'admin_token', id: mine.id, name: 'support' });
    // The same refusals as the CLI: a taken address is 409, a short password or a bad phone 400.
    const again = await adminRequest(server, mine, 'POST', '/admin/v1/consumers', { email: user.email, password: PASSWORD });
    expect(again.status).toBe(409);
    expect((await again.json()).error).toBe('conflict');
    for (const body of [{ email: `x${unique()}@example.com`, password: 'short' }, { email: `x${unique()}@example.com`, password: PASSWORD, phone: '12' }, { email: 'nope', password: PASSWORD }]) {
      const refused = await adminRequest(server, mine, 'POST', '/admin/v1/consumers', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((await refused.json()).error).toBe('invalid_input');
    }
    // An all-organizations token must say which organization.
    expect((await adminRequest(server, all, 'POST', '/admin/v1/consumers', { email: `x${unique()}@example.com`, password: PASSWORD })).status).toBe(400);
  });

  it('search by email (any case), phone (any format) and external identity (all three fields)', async () => {
    const user = await createUser({ phone: '+14155550111' });
    const other = await createUser({ phone: '+14155550112' });
    const ids = async (query: string) => (await (await get(`/admin/v1/consumers?${query}`)).json()).data.map((c: { id: string }) => c.id);
    expect(await ids(`email=${encodeURIComponent(user.givenEmail.toUpperCase())}`)).toEqual([user.id]);
    expect(await ids(`phone=${encodeURIComponent('+1 (415) 555-0111')}`)).toEqual([user.id]);
    const subject = `shop-${unique()}`;
    const minted = await authorize(server, server.demo, { provider: 'shop', issuer: 'https://shop.example', subject });
    expect(minted.status).toBe(200);
    const external = (await exchange(server, server.demo, { exchangeCode: (await minted.json()).exchangeCode }).then((r) => r.json())).session.consumerId;
    expect(await ids(`identityProvider=shop&identityIssuer=${encodeURIComponent('https://shop.example')}&identitySubject=${subject}`)).toEqual([external]);
    expect(await ids(`identityProvider=shop&identityIssuer=${encodeURIComponent('https://other.example')}&identitySubject=${subject}`)).toEqual([]);
    expect(await ids(`email=${encodeURIComponent(other.email)}&environment=live`)).toEqual([]);
    expect((await get(`/admin/v1/consumers?identityProvider=shop&identitySubject=${subject}`)).status).toBe(400);
    expect((await get('/admin/v1/consumers?phone=12')).status).toBe(400);
  });

  it('an organization\'s token cannot see another organization\'s consumer (404 everywhere); the all-organizations token can', async () => {
    const { createOrganization } = await import('../src/flows/bootstrap.js');
    const otherOrg = (await createOrganization(server.server.runtime.deps, `other-${unique()}`)).id;
    const foreign = await createUser({ organizationId: otherOrg }, all);
    for (const [method, path] of [
      ['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/disable'], ['POST', '/enable'], ['POST', '/password'], ['GET', '/sessions'], ['GET', '/grants'],
    ] as const) {
      const response = await adminRequest(server, mine, method, `/admin/v1/consumers/${foreign.id}${path}`, method === 'GET' ? undefined : { password: PASSWORD });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await response.json()).error).toBe('not_found');
    }
    expect((await get(`/admin/v1/consumers?organizationId=${otherOrg}`)).status).toBe(404);
    expect((await (await get(`/admin/v1/consumers?email=${encodeURIComponent(foreign.email)}`)).json()).data).toEqual([]);
    expect((await adminRequest(server, mine, 'POST', '/admin/v1/consumers', { organizationId: otherOrg, email: `x${unique()}@example.com`, password: PASSWORD })).status).toBe(404);
    expect((await get(`/admin/v1/consumers/${foreign.id}`, all)).status).toBe(200);
    expect((await (await get(`/admin/v1/consumers?organizationId=${otherOrg}`, all)).json()).data.map((c: { id: string }) => c.id)).toEqual([foreign.id]);
  });

  it('a read-only token reads (200) and is refused every change (403)', async () => {
    const reader = await createAdminToken(server, { name: 'reader', readOnly: true });
    const user = await createUser();
    expect((await get(`/admin/v1/consumers/${user.id}`, reader)).status).toBe(200);
    expect((await get(`/admin/v1/consumers/${user.id}/sessions`, reader)).status).toBe(200);
    for (const [method, path] of [['PATCH', ''], ['DELETE', ''], ['POST', '/disable'], ['POST', '/password']] as const) {
      const response = await adminRequest(server, reader, method, `/admin/v1/consumers/${user.id}${path}`, { fullName: 'X', password: PASSWORD });
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect((await adminRequest(server, reader, 'POST', '/admin/v1/consumers', { email: `x${unique()}@example.com`, password: PASSWORD })).status).toBe(403);
    expect((await get(`/admin/v1/consumers/${user.id}`)).status).toBe(200);
  });

  it('paging walks every consumer once, in creation order, while consumers are added', async () => {
    for (let i = 0; i < 4; i++) await createUser();
    const before = (await (await get('/admin/v1/consumers?limit=200')).json()).data.map((c: { id: string }) => c.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const page = (await (await get(`/admin/v1/consumers?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { data: Array<{ id: string }>; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((c) => c.id));
      cursor = page.nextCursor;
      server.clock.advance(1);
      if (added++ < 2) await createUser();
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, before.length)).toEqual(before);
    expect(seen).toEqual((await (await get('/admin/v1/consumers?limit=200')).json()).data.map((c: { id: string }) => c.id));
  });

  it('update: the new email signs in and the old does not; bad values 400, another person\'s address 409; set password works like the CLI', async () => {
    const user = await createUser();
    const taken = await createUser();
    const newEmail = `renamed${unique()}@example.com`;
    const updated = await adminRequest(server, mine, 'PATCH', `/admin/v1/consumers/${user.id}`, { email: newEmail.toUpperCase(), phone: '+14155550177', fullName: '  Ada  ' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ email: newEmail, phone: '+14155550177', fullName: 'Ada', emailVerifiedAt: null });
    expect((await login(server, app, newEmail, PASSWORD)).status).toBe(200);
    expect((await login(server, app, user.email, PASSWORD)).status).toBe(401);
    for (const body of [{ email: 'not-an-address' }, { phone: '555' }, { fullName: '' }]) {
      const refused = await adminRequest(server, mine, 'PATCH', `/admin/v1/consumers/${user.id}`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect((await adminRequest(server, mine, 'PATCH', `/admin/v1/consumers/${user.id}`, { fullName: 7 })).status).toBe(400);
    const clash = await adminRequest(server, mine, 'PATCH', `/admin/v1/consumers/${user.id}`, { email: taken.email });
    expect(clash.status).toBe(409);
    expect((await (await get(`/admin/v1/consumers/${user.id}`)).json()).email).toBe(newEmail);
    const [event] = (await auditOf('consumer.updated')).filter((e) => e.data.consumerId === user.id);
    expect(event!.data).toMatchObject({ changed: ['email', 'phone', 'fullName'], actor: { id: mine.id } });
    expect(JSON.stringify(event!.data)).not.toContain(newEmail);

    const password = 'a brand new password';
    expect((await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/password`, { password: 'short' })).status).toBe(400);
    expect((await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/password`, { password })).status).toBe(200);
    expect((await login(server, app, newEmail, PASSWORD)).status).toBe(401);
    expect((await login(server, app, newEmail, password)).status).toBe(200);
    expect((await auditOf('user.password_set')).some((e) => e.data.consumerId === user.id && (e.data.actor as { id: string }).id === mine.id)).toBe(true);
  });

  it('sessions: listed with kind and application; revoking one ends its tokens at once and leaves the others', async () => {
    const user = await createUser();
    const subject = `shop-${unique()}`;
    await server.server.runtime.store.attachExternalIdentity(user.id, `idn_${unique()}`, { provider: 'shop', issuer: 'https://shop.example', subject }, server.clock.now());
    const signIn = async () => {
      const minted = await (await authorize(server, server.demo, { provider: 'shop', issuer: 'https://shop.example', subject })).json();
      return (await exchange(server, server.demo, { exchangeCode: minted.exchangeCode })).json();
    };
    const first = await signIn();
    server.clock.advance(1);
    const second = await signIn();
    const sessions = (await (await get(`/admin/v1/consumers/${user.id}/sessions`)).json()).data;
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toMatchObject({ kind: 'consumer', applicationId: server.demo.id, revokedAt: null });
    const revoked = await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/sessions/${sessions[0].id}/revoke`);
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).revokedAt).not.toBeNull();
    expect((await me(server, first.accessToken)).status).toBe(401);
    expect((await refresh(server, server.demo, first.refreshToken)).status).toBe(401);
    expect((await me(server, second.accessToken)).status).toBe(200);
    // Another consumer's session under this consumer's path is 404.
    const other = await createUser();
    expect((await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${other.id}/sessions/${sessions[1].id}/revoke`)).status).toBe(404);
    expect((await auditOf('session.revoked')).some((e) => e.data.sessionId === sessions[0].id && (e.data.actor as { id: string }).id === mine.id)).toBe(true);
  });

  it('grants: listed; revoking one revokes its token families, like DELETE /v1/auth/oauth/revoke', async () => {
    const user = await createUser();
    const { code, verifier } = await obtainCode(server, app, { email: user.email, password: PASSWORD });
    const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
    expect(tokens.access_token).toBeDefined();
    const grants = (await (await get(`/admin/v1/consumers/${user.id}/grants`)).json()).data;
    expect(grants).toEqual([expect.objectContaining({ applicationId: app.id, scope: 'openid profile', revokedAt: null })]);
    const userinfo = () => server.request('/v1/auth/oauth/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await userinfo()).status).toBe(200);
    const revoked = await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/grants/${grants[0].id}/revoke`);
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).revokedAt).not.toBeNull();
    expect((await userinfo()).status).toBe(401);
    const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app));
    expect(refreshed.status).toBe(400);
    expect((await refreshed.json()).error).toBe('invalid_grant');
    const [event] = (await auditOf('oauth.revoked')).filter((e) => e.data.consumerId === user.id);
    expect(event!.data).toMatchObject({ via: 'grant', revokedSessions: 1, actor: { id: mine.id } });
  });

  it('disable: live access and refresh tokens stop at once; password login, OTP verify, external authorize and exchange are refused; enable undoes it', async () => {
    const user = await createUser();
    const subject = `shop-${unique()}`;
    await server.server.runtime.store.attachExternalIdentity(user.id, `idn_${unique()}`, { provider: 'shop', issuer: 'https://shop.example', subject }, server.clock.now());
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject };
    const session = await (await exchange(server, server.demo, { exchangeCode: (await (await authorize(server, server.demo, identity)).json()).exchangeCode })).json();
    const { code, verifier } = await obtainCode(server, app, { email: user.email, password: PASSWORD });
    const oauth = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
    // A code minted before the disable, and one still in flight at the token endpoint.
    const pendingExchange = (await (await authorize(server, server.demo, identity)).json()).exchangeCode;
    const pendingCode = await obtainCode(server, app, { email: user.email, password: PASSWORD });
    expect((await me(server, session.accessToken)).status).toBe(200);

    const disabled = await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/disable`);
    expect(disabled.status).toBe(200);
    expect((await disabled.json()).disabledAt).toBe(new Date(server.clock.now()).toISOString());
    const sessions = (await (await get(`/admin/v1/consumers/${user.id}/sessions`)).json()).data;
    expect(sessions.length).toBeGreaterThanOrEqual(4);
    expect(sessions.every((s: { revokedAt: string | null }) => s.revokedAt !== null)).toBe(true);

    expect((await me(server, session.accessToken)).status).toBe(401);
    expect((await refresh(server, server.demo, session.refreshToken)).status).toBe(401);
    expect((await server.request('/v1/auth/oauth/userinfo', { headers: { authorization: `Bearer ${oauth.access_token}` } })).status).toBe(401);
    expect((await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: oauth.refresh_token }, basicOf(app))).status).toBe(400);
    const late = await tokenRequest(server, { grant_type: 'authorization_code', code: pendingCode.code, redirect_uri: app.redirectUri, code_verifier: pendingCode.verifier }, basicOf(app));
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: 'invalid_grant', error_description: 'the user\'s account is disabled' });
    // The step-3 login token was a session too.
    expect((await server.request('/v1/auth/oauth/authorize', { json: { token: 'x' }, headers: { 'x-client-key': app.publishableKey, authorization: `Bearer ${pendingCode.userToken}` } })).status).toBe(401);

    const refusedLogin = await login(server, app, user.email, PASSWORD);
    expect(refusedLogin.status).toBe(403);
    expect((await refusedLogin.json()).error).toBe('consumer_disabled');
    expect((await login(server, app, user.email, 'wrong password')).status).toBe(401);
    expect((await requestOtp(server, { email: user.email })).status).toBe(200);
    const otpCode = await latestCode(server, user.email);
    const refusedOtp = await verifyOtp(server, { email: user.email, code: otpCode });
    expect(refusedOtp.status).toBe(403);
    expect((await refusedOtp.json()).error).toBe('consumer_disabled');
    const refusedExchange = await exchange(server, server.demo, { exchangeCode: pendingExchange });
    expect(refusedExchange.status).toBe(403);
    expect((await refusedExchange.json()).error).toBe('consumer_disabled');
    const refusedAuthorize = await authorize(server, server.demo, identity);
    expect(refusedAuthorize.status).toBe(403);
    const [event] = (await auditOf('consumer.disabled')).filter((e) => e.data.consumerId === user.id);
    expect(event!.data).toMatchObject({ sessionsRevoked: sessions.length, actor: { id: mine.id } });

    const enabled = await adminRequest(server, mine, 'POST', `/admin/v1/consumers/${user.id}/enable`);
    expect((await enabled.json()).disabledAt).toBeNull();
    expect((await login(server, app, user.email, PASSWORD)).status).toBe(200);
    // The refused code was not used up: it signs in now.
    expect((await verifyOtp(server, { email: user.email, code: otpCode })).status).toBe(200);
    expect((await auditOf('consumer.enabled')).some((e) => e.data.consumerId === user.id)).toBe(true);
  });

  it('delete erases the person from every table; the audit trail keeps their events under a pseudonym', async () => {
    const name = `Erin Erasable ${unique()}`;
    const created = await createUser({ fullName: name });
    const phone = `+1415555${String(1000 + (counter % 9000)).padStart(4, '0')}`;
    const user = { ...created, phone: phone };
    const subject = `erase-subject-${unique()}`;
    const store = server.server.runtime.store;
    await store.attachExternalIdentity(user.id, `idn_${unique()}`, { provider: 'shop', issuer: 'https://shop.example', subject }, server.clock.now());
    const identity = { provider: 'shop', issuer: 'https://shop.example', subject };
    // Leave traces everywhere: consumer and login sessions, refresh tokens, an unused exchange code,
    // OTP codes and outbox messages to both addresses, a grant, a used and an unused authorization
    // code, an authorization request hinting at the email.
    await (await exchange(server, server.demo, { exchangeCode: (await (await authorize(server, server.demo, identity)).json()).exchangeCode })).json();
    await authorize(server, server.demo, identity);
    const { code, verifier } = await obtainCode(server, app, { email: user.email, password: PASSWORD });
    await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app));
    await obtainCode(server, app, { email: user.email, password: PASSWORD });
    expect((await adminRequest(server, mine, 'PATCH', `/admin/v1/consumers/${user.id}`, { phone })).status).toBe(200);
    expect((await initiate(server, standardQuery(app, pkce().challenge, { login_hint: user.email }))).status).toBe(200);
    expect((await login(server, app, user.email, PASSWORD)).status).toBe(200);
    // A phone set later (an operator's change), and a code sent to it.
    expect((await requestOtp(server, { phone: user.phone })).status).toBe(200);
    expect((await requestOtp(server, { email: user.email })).status).toBe(200);
    await verifyOtp(server, { email: user.email, code: await latestCode(server, user.email) });
    server.clock.advance(61_000);
    expect((await requestOtp(server, { email: user.email })).status).toBe(200);
    const bystander = await createUser({ fullName: 'Bystander Person' });
    const eventsBefore = (await store.listAuditEvents(defaultOrg)).filter((e) => JSON.stringify(e.data).includes(user.id));
    expect(eventsBefore.length).toBeGreaterThanOrEqual(5);

    const before = await dumpDatabase(server.server.runtime.config.databaseUrl);
    const values = { id: user.id, email: user.email, phone: user.phone, name, subject };
    for (const [label, value] of Object.entries(values)) expect(before, label).toContain(value);

    const response = await adminRequest(server, mine, 'DELETE', `/admin/v1/consumers/${user.id}`);
    expect(response.status).toBe(200);
    const { pseudonym, erased } = await response.json();
    expect(pseudonym).toMatch(/^anon_/);
    expect(erased).toMatchObject({ consumers: 1, identities: 2 });
    expect(erased.sessions).toBeGreaterThanOrEqual(3);
    expect(erased.otpCodes).toBeGreaterThanOrEqual(1);
    expect(erased.devMessages).toBeGreaterThanOrEqual(2);
    expect(erased.authorizationRequests).toBeGreaterThanOrEqual(1);

    const tables = JSON.parse(await dumpDatabase(server.server.runtime.config.databaseUrl)) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(tables)).toEqual(expect.arrayContaining(['consumers', 'identities', 'sessions', 'refresh_tokens', 'grants', 'otp_codes', 'dev_outbox', 'audit_events']));
    for (const [table, rows] of Object.entries(tables)) {
      const text = JSON.stringify(rows);
      for (const [label, value] of Object.entries(values)) expect(text, `${label} in ${table}`).not.toContain(value);
    }
    // Nothing that was only theirs is left (row counts, beyond the strings).
    expect(tables.consumers!.some((row) => row.id === bystander.id)).toBe(true);
    const trail = tables.audit_events!.filter((row) => row.consumer_id === pseudonym || String(row.data).includes(pseudonym));
    expect(trail.length).toBeGreaterThanOrEqual(eventsBefore.length);
    expect(trail.map((row) => row.type)).toEqual(expect.arrayContaining(['user.created', 'session.started', 'login.succeeded', 'consumer.erased']));
    const erasedEvent = trail.find((row) => row.type === 'consumer.erased')!;
    expect(JSON.parse(String(erasedEvent.data)).actor).toEqual({ type: 'admin_token', id: mine.id, name: 'support' });
    expect((await get(`/admin/v1/consumers/${user.id}`)).status).toBe(404);
    expect((await login(server, app, user.email, PASSWORD)).status).toBe(401);
    expect((await get(`/admin/v1/consumers/${bystander.id}`)).status).toBe(200);
  });
});
