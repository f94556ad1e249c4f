import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../src/flows/applications.js';
import { createOrganization } from '../src/flows/bootstrap.js';
import { authenticateBearer } from '../src/flows/oauth/tokens.js';
import { adminRequest, createAdminToken, type TestAdminToken } from './helpers/admin.js';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, me, refresh, signIn } from './helpers/flows.js';
import { basicOf, createOAuthApp, createPasswordUser, initiate, obtainCode, pkce, standardQuery, tokenRequest } from './helpers/oauth.js';
import { startTestServer, type TestApp, type TestServer } from './helpers/server.js';

// SPEC §10 / issue 17: the applications resource of the admin API, on the real admin listener.
describeEachEngine('issue 17 / SPEC §10: admin API applications', (engine) => {
  let server: TestServer;
  let all: TestAdminToken;
  let mine: TestAdminToken;
  let defaultOrg: string;
  let otherOrg: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    all = await createAdminToken(server, { name: 'ops', organizationId: null });
    mine = await createAdminToken(server, { name: 'support' });
    defaultOrg = mine.organizationId!;
    otherOrg = (await createOrganization(server.server.runtime.deps, 'other-apps')).id;
  });
  afterAll(() => server?.close());

  const api = (token: TestAdminToken, method: string, path: string, body?: unknown) => adminRequest(server, token, method, path, body);
  const auditEvents = (type?: string) => server.server.runtime.deps.store.listAuditEvents(defaultOrg, type);
  const asTestApp = (body: { id: string; publishableKey: string; secretKey: string }): TestApp => ({ id: body.id, publishableKey: body.publishableKey, secretKey: body.secretKey });

  describe('create, get, list', () => {
    it('POST creates with every option of `apps create`; the secret key is in that answer only and works at once', async () => {
      const response = await api(mine, 'POST', '/admin/v1/applications', {
        name: 'Storefront', type: 'confidential', environment: 'live',
        redirectUris: ['https://shop.example/cb'], allowedScopes: ['openid', 'profile'], allowedOrigins: ['https://shop.example'],
        pkce: 'optional', postLogoutRedirectUris: ['https://shop.example/bye'], accessTokenAlg: 'RS256',
        logoUrl: 'https://cdn.example/logo.png', accentColor: '#aa3377', isFirstParty: true, passkeyOrigins: ['https://shop.example'],
        requirePushedAuthorizationRequests: true, resources: ['https://api.shop.example/v1'], requireDpop: true,
      });
      expect(response.status).toBe(201);
      const created = await response.json();
      expect(created).toEqual({
        id: expect.stringMatching(/^app_/), organizationId: defaultOrg, name: 'Storefront',
        publishableKey: expect.stringMatching(/^pk_live_/), secretKey: expect.stringMatching(/^sk_live_[\w-]{43}$/),
        type: 'confidential', environment: 'live', redirectUris: ['https://shop.example/cb'], allowedScopes: ['openid', 'profile'],
        allowedOrigins: ['https://shop.example'], logoUrl: 'https://cdn.example/logo.png', accentColor: '#aa3377', isFirstParty: true,
        pkce: 'optional', postLogoutRedirectUris: ['https://shop.example/bye'], accessTokenAlg: 'RS256', passkeyOrigins: ['https://shop.example'],
        requirePushedAuthorizationRequests: true, resources: ['https://api.shop.example/v1'],
        requireDpop: true, registration: 'manual', createdAt: new Date(server.clock.now()).toISOString(), disabledAt: null,
      });
      expect((await authorize(server, asTestApp(created), IDENTITY)).status).toBe(200);

      const got = await api(mine, 'GET', `/admin/v1/applications/${created.id}`);
      expect(got.status).toBe(200);
      const { secretKey, ...shown } = created;
      expect(await got.json()).toEqual(shown);
      const listed = await (await api(mine, 'GET', '/admin/v1/applications?limit=200')).json();
      expect(listed.data).toContainEqual(shown);
      expect(JSON.stringify(listed)).not.toContain(secretKey);

      const [event] = (await auditEvents('application.created')).filter((e) => e.data.applicationId === created.id);
      expect(event!.data).toEqual({ applicationId: created.id, actor: { type: 'admin_token', id: mine.id, name: 'support' } });
    });

    it('defaults as the CLI: confidential, test, PKCE required, EdDSA, every OpenID scope', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Plain' })).json();
      expect(created).toMatchObject({
        type: 'confidential', environment: 'test', pkce: 'required', accessTokenAlg: 'EdDSA', redirectUris: [], allowedOrigins: [],
        allowedScopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'], isFirstParty: false, secretKey: expect.stringMatching(/^sk_test_/),
      });
    });

    it('an all-organizations token names the organization; without one → 400; an unknown one → 404', async () => {
      const missing = await api(all, 'POST', '/admin/v1/applications', { name: 'Nowhere' });
      expect(missing.status).toBe(400);
      expect((await missing.json()).error).toBe('invalid_input');
      const created = await api(all, 'POST', '/admin/v1/applications', { name: 'Elsewhere', organizationId: otherOrg });
      expect(created.status).toBe(201);
      expect((await created.json()).organizationId).toBe(otherOrg);
      expect((await api(all, 'POST', '/admin/v1/applications', { name: 'Ghost', organizationId: 'org_01HZZZZZZZZZZZZZZZZZZZZZZZ' })).status).toBe(404);
    });

    it('the CLI\'s checks refuse a bad setting with 400 invalid_input, and nothing is created', async () => {
      const before = (await (await api(mine, 'GET', '/admin/v1/applications?limit=200')).json()).data.length;
      const refused: Array<[object, string]> = [
        [{ name: 'x', environment: 'live', redirectUris: ['http://evil.example/cb'] }, 'redirect URI http://evil.example/cb'],
        [{ name: 'x', environment: 'live', postLogoutRedirectUris: ['http://evil.example/bye'] }, 'post-logout redirect URI'],
        [{ name: 'x', type: 'public', pkce: 'optional' }, 'PKCE cannot be optional for a public application'],
        [{ name: 'x', allowedOrigins: ['https://shop.example/path'] }, 'is not an origin'],
        [{ name: 'x', allowedScopes: ['two words'] }, 'is not a scope token'],
        [{ name: 'x', accentColor: 'red' }, 'must be #rrggbb'],
        [{ name: 'x', logoUrl: 'http://cdn.example/logo.png' }, 'must be https'],
      ];
      for (const [body, message] of refused) {
        const response = await api(mine, 'POST', '/admin/v1/applications', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        const answer = await response.json();
        expect(answer.error).toBe('invalid_input');
        expect(answer.message).toContain(message);
      }
      // Schema errors: an unknown field, a wrong type, text no engine can store (issue 11.3).
      for (const body of [{ name: 'x', colour: '#000000' }, { name: 'x', type: 'robot' }, {}, { name: 'a\u0000b' }, { name: 'x', redirectUris: ['https://a.example/\u0000'] }]) {
        const response = await api(mine, 'POST', '/admin/v1/applications', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect((await response.json()).error).toBe('validation_error');
      }
      expect((await (await api(mine, 'GET', '/admin/v1/applications?limit=200')).json()).data.length).toBe(before);
    });
  });

  describe('update', () => {
    it('PATCH changes name, branding, scopes, URIs, origins and PKCE; a list replaces the stored one; audited with the actor', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Before', redirectUris: ['https://a.example/cb', 'https://b.example/cb'], allowedOrigins: ['https://a.example'] })).json();
      const response = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, {
        name: 'After', logoUrl: 'https://cdn.example/new.png', accentColor: '#112233', isFirstParty: true,
        redirectUris: ['https://c.example/cb'], allowedScopes: ['openid'], allowedOrigins: [], postLogoutRedirectUris: ['https://c.example/bye'], pkce: 'optional',
      });
      expect(response.status).toBe(200);
      const updated = await response.json();
      expect(updated).toEqual({
        ...Object.fromEntries(Object.entries(created).filter(([key]) => key !== 'secretKey')),
        name: 'After', logoUrl: 'https://cdn.example/new.png', accentColor: '#112233', isFirstParty: true,
        redirectUris: ['https://c.example/cb'], allowedScopes: ['openid'], allowedOrigins: [], postLogoutRedirectUris: ['https://c.example/bye'], pkce: 'optional',
      });
      expect(await (await api(mine, 'GET', `/admin/v1/applications/${created.id}`)).json()).toEqual(updated);
      // Only what is sent changes; null removes the logo.
      const partial = await (await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { logoUrl: null })).json();
      expect(partial).toEqual({ ...updated, logoUrl: null });

      const events = (await auditEvents('application.updated')).filter((e) => e.data.applicationId === created.id);
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.data)).toEqual(expect.arrayContaining([
        {
          applicationId: created.id, actor: { type: 'admin_token', id: mine.id, name: 'support' },
          changes: {
            name: 'After', logoUrl: 'https://cdn.example/new.png', accentColor: '#112233', isFirstParty: true, redirectUris: ['https://c.example/cb'],
            allowedScopes: ['openid'], allowedOrigins: [], postLogoutRedirectUris: ['https://c.example/bye'], pkcePolicy: 'optional',
          },
        },
        { applicationId: created.id, actor: { type: 'admin_token', id: mine.id, name: 'support' }, changes: { logoUrl: null } },
      ]));
    });

    it('PATCH refuses what the CLI refuses (400) and changes nothing; type and environment cannot change', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Spa', type: 'public', environment: 'live', redirectUris: ['https://spa.example/cb'] })).json();
      const { secretKey: _secret, ...shown } = created;
      for (const body of [
        { name: 'Renamed', redirectUris: ['http://evil.example/cb'] },
        { pkce: 'optional' },
        { allowedOrigins: ['not an origin'] },
        { accentColor: '#12345' },
      ]) {
        const response = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect((await response.json()).error).toBe('invalid_input');
      }
      for (const body of [{ type: 'confidential' }, { environment: 'test' }, { allowedScopes: [] }, { name: '' }]) {
        const response = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect((await response.json()).error).toBe('validation_error');
      }
      expect(await (await api(mine, 'GET', `/admin/v1/applications/${created.id}`)).json()).toEqual(shown);
    });
  });

  describe('passkey origins (SPEC §12)', () => {
    it('PATCH sets the origins whose pages may run passkey ceremonies through the APIs; a non-origin is refused', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Passkeys' })).json();
      expect(created.passkeyOrigins).toEqual([]);
      const updated = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { passkeyOrigins: ['https://app.example', 'http://localhost:3000'] });
      expect(updated.status).toBe(200);
      expect((await updated.json()).passkeyOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
      const refused = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { passkeyOrigins: ['https://app.example/login'] });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: 'invalid_input', message: 'passkey origin "https://app.example/login" is not an origin (scheme://host[:port])' });
    });
  });

  describe('pushed authorization requests (SPEC §13)', () => {
    it('RFC 9126 §6: requirePushedAuthorizationRequests is off by default and PATCH turns it on and off', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Pushing' })).json();
      expect(created.requirePushedAuthorizationRequests).toBe(false);
      for (const value of [true, false]) {
        const updated = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { requirePushedAuthorizationRequests: value });
        expect(updated.status).toBe(200);
        expect((await updated.json()).requirePushedAuthorizationRequests).toBe(value);
      }
      const refused = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { requirePushedAuthorizationRequests: 'yes' });
      expect(refused.status).toBe(400);
    });
  });

  describe('resource indicators (SPEC §13)', () => {
    it('RFC 8707 §2: resources is empty by default; PATCH replaces it; a relative URI or one with a fragment is refused', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Resources' })).json();
      expect(created.resources).toEqual([]);
      const updated = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { resources: ['https://api.example/mcp', 'urn:example:api'] });
      expect((await updated.json()).resources).toEqual(['https://api.example/mcp', 'urn:example:api']);
      const fragment = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { resources: ['https://api.example/mcp#x'] });
      expect(await fragment.json()).toEqual({ error: 'invalid_input', message: 'resource "https://api.example/mcp#x" must not have a fragment (RFC 8707 §2)' });
      const relative = await api(mine, 'PATCH', `/admin/v1/applications/${created.id}`, { resources: ['/mcp'] });
      expect(await relative.json()).toEqual({ error: 'invalid_input', message: 'resource "/mcp" is not an absolute URI (RFC 8707 §2)' });
    });
  });

  describe('rotate secret', () => {
    it('returns the new secret once; the old one stops at once (overlap 0); audited with the actor, never the secret', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Rotating' })).json();
      const response = await api(mine, 'POST', `/admin/v1/applications/${created.id}/rotate-secret`);
      expect(response.status).toBe(200);
      const rotated = await response.json();
      expect(rotated).toEqual({ id: created.id, secretKey: expect.stringMatching(/^sk_test_[\w-]{43}$/), previousSecretValidForSeconds: 0 });
      expect(rotated.secretKey).not.toBe(created.secretKey);
      expect((await authorize(server, asTestApp(created), IDENTITY)).status).toBe(401);
      expect((await authorize(server, asTestApp({ ...created, secretKey: rotated.secretKey }), IDENTITY)).status).toBe(200);
      const shown = JSON.stringify([
        await (await api(mine, 'GET', `/admin/v1/applications/${created.id}`)).json(),
        await (await api(mine, 'GET', '/admin/v1/applications?limit=200')).json(),
      ]);
      expect(shown).not.toContain(rotated.secretKey);
      expect(shown).not.toContain(created.secretKey);
      const [event] = (await auditEvents('application.secret_rotated')).filter((e) => e.data.applicationId === created.id);
      expect(event!.data).toEqual({ applicationId: created.id, overlapSeconds: 0, actor: { type: 'admin_token', id: mine.id, name: 'support' } });
      // No audit event of this organization holds either secret (nor any sk_ string at all).
      const everything = JSON.stringify(await auditEvents());
      expect(everything).not.toContain(rotated.secretKey);
      expect(everything).not.toContain(created.secretKey);
      expect(everything).not.toMatch(/sk_(test|live)_/);
    });
  });

  describe('scoping and read-only tokens', () => {
    it('another organization\'s application: not listed, and 404 on get, update, rotate, disable and enable', async () => {
      const foreign = await createApplication(server.server.runtime.deps, { organizationId: otherOrg, name: 'Foreign', type: 'confidential', environment: 'test' });
      const id = foreign.application.id;
      const listed = await (await api(mine, 'GET', '/admin/v1/applications?limit=200')).json();
      expect(listed.data.map((a: { id: string }) => a.id)).not.toContain(id);
      expect(listed.data.every((a: { organizationId: string }) => a.organizationId === defaultOrg)).toBe(true);
      expect(await (await api(mine, 'GET', `/admin/v1/applications?organizationId=${otherOrg}`)).json()).toEqual({ data: [], nextCursor: null });
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', `/admin/v1/applications/${id}`], ['PATCH', `/admin/v1/applications/${id}`, { name: 'Hijacked' }],
        ['POST', `/admin/v1/applications/${id}/rotate-secret`], ['POST', `/admin/v1/applications/${id}/disable`], ['POST', `/admin/v1/applications/${id}/enable`],
      ];
      for (const [method, path, body] of attempts) {
        const response = await api(mine, method, path, body);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect((await response.json()).error).toBe('not_found');
      }
      expect((await api(mine, 'POST', '/admin/v1/applications', { name: 'Planted', organizationId: otherOrg })).status).toBe(404);
      // Nothing changed: the old secret still works, the name is the same, it is enabled.
      expect((await authorize(server, { id, publishableKey: foreign.application.publishableKey, secretKey: foreign.secretKey }, IDENTITY)).status).toBe(200);
      expect(await (await api(all, 'GET', `/admin/v1/applications/${id}`)).json()).toMatchObject({ name: 'Foreign', disabledAt: null });
      // The all-organizations token sees both organizations, and filters by one.
      const everything = (await (await api(all, 'GET', '/admin/v1/applications?limit=200')).json()).data.map((a: { organizationId: string }) => a.organizationId);
      expect(new Set(everything)).toEqual(new Set([defaultOrg, otherOrg]));
      const filtered = (await (await api(all, 'GET', `/admin/v1/applications?limit=200&organizationId=${otherOrg}`)).json()).data;
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every((a: { organizationId: string }) => a.organizationId === otherOrg)).toBe(true);
    });

    it('a read-only token reads (200) and is refused every change (403); nothing changes', async () => {
      const reader = await createAdminToken(server, { name: 'reader', readOnly: true });
      const target = await server.createApp();
      expect((await api(reader, 'GET', `/admin/v1/applications/${target.id}`)).status).toBe(200);
      expect((await api(reader, 'GET', '/admin/v1/applications')).status).toBe(200);
      const changes: Array<[string, string, unknown?]> = [
        ['POST', '/admin/v1/applications', { name: 'Nope' }], ['PATCH', `/admin/v1/applications/${target.id}`, { name: 'Nope' }],
        ['POST', `/admin/v1/applications/${target.id}/rotate-secret`], ['POST', `/admin/v1/applications/${target.id}/disable`],
      ];
      for (const [method, path, body] of changes) {
        const response = await api(reader, method, path, body);
        expect(response.status, `${method} ${path}`).toBe(403);
        expect((await response.json()).error).toBe('forbidden');
      }
      expect((await authorize(server, target, IDENTITY)).status).toBe(200);
      expect(await (await api(reader, 'GET', `/admin/v1/applications/${target.id}`)).json()).toMatchObject({ name: 'Another app', disabledAt: null });
    });
  });

  describe('paging', () => {
    it('limit and nextCursor walk every application once, in creation order, while applications are added; environment filters', async () => {
      const deps = server.server.runtime.deps;
      const organization = (await createOrganization(deps, 'paging-apps')).id;
      const pager = await createAdminToken(server, { name: 'pager', organizationId: organization });
      const make = async (name: string, environment: 'test' | 'live') => {
        server.clock.advance(1);
        return (await createApplication(deps, { organizationId: organization, name, type: 'confidential', environment })).application.id;
      };
      const existing: string[] = [];
      for (let i = 0; i < 5; i++) existing.push(await make(`page-${i}`, i % 2 === 0 ? 'test' : 'live'));
      const seen: string[] = [];
      const added: string[] = [];
      let cursor: string | null = null;
      do {
        const response: Response = await api(pager, 'GET', `/admin/v1/applications?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        const page = await response.json();
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((a: { id: string }) => a.id));
        cursor = page.nextCursor;
        // Rows inserted mid-walk sort after every row already there: they never shift a page.
        if (added.length < 2) added.push(await make(`added-${added.length}`, 'test'));
      } while (cursor !== null);
      expect(seen).toEqual([...existing, ...added]);
      const live = (await (await api(pager, 'GET', '/admin/v1/applications?environment=live')).json()).data.map((a: { id: string }) => a.id);
      expect(live).toEqual([existing[1], existing[3]]);
      const bad = await api(pager, 'GET', '/admin/v1/applications?cursor=bm90LWFuLWlk');
      expect(bad.status).toBe(400);
      expect((await api(pager, 'GET', '/admin/v1/applications?limit=0')).status).toBe(400);
      expect((await api(pager, 'GET', '/admin/v1/applications?organizationId=org_%00')).status).toBe(400);
    });
  });

  describe('disable', () => {
    it('refuses at once its publishable key (/auth/guest), its secret key (/auth/external/authorize) and its consumers\' live access and refresh tokens; enable undoes it', async () => {
      const created = await (await api(mine, 'POST', '/admin/v1/applications', { name: 'Doomed' })).json();
      const app = asTestApp(created);
      const guest = () => server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': app.publishableKey } });
      expect((await guest()).status).toBe(200);
      const session = await signIn(server, app, { ...IDENTITY, subject: 'doomed-user' });
      const second = await signIn(server, app, { ...IDENTITY, subject: 'doomed-user-2' });
      expect((await me(server, session.accessToken)).status).toBe(200);

      const response = await api(mine, 'POST', `/admin/v1/applications/${app.id}/disable`);
      expect(response.status).toBe(200);
      const disabledAt = new Date(server.clock.now()).toISOString();
      expect(await response.json()).toMatchObject({ id: app.id, disabledAt });

      expect((await guest()).status).toBe(401);
      expect((await authorize(server, app, IDENTITY)).status).toBe(401);
      const meAnswer = await me(server, session.accessToken);
      expect(meAnswer.status).toBe(401);
      expect(meAnswer.headers.get('www-authenticate')).toContain('invalid_token');
      expect((await refresh(server, app, session.refreshToken)).status).toBe(401);
      // Shown as disabled to the admin, listed still.
      expect(await (await api(mine, 'GET', `/admin/v1/applications/${app.id}`)).json()).toMatchObject({ disabledAt });
      // Disabling again changes nothing and records nothing more.
      server.clock.advance(1000);
      expect(await (await api(mine, 'POST', `/admin/v1/applications/${app.id}/disable`)).json()).toMatchObject({ disabledAt });
      const events = (await auditEvents('application.disabled')).filter((e) => e.data.applicationId === app.id);
      expect(events.map((e) => e.data)).toEqual([{ applicationId: app.id, actor: { type: 'admin_token', id: mine.id, name: 'support' } }]);

      // Enable: the keys and the tokens that have not expired work again (nothing was revoked).
      const enabled = await api(mine, 'POST', `/admin/v1/applications/${app.id}/enable`);
      expect(await enabled.json()).toMatchObject({ disabledAt: null });
      expect((await guest()).status).toBe(200);
      expect((await authorize(server, app, IDENTITY)).status).toBe(200);
      expect((await me(server, second.accessToken)).status).toBe(200);
      expect((await refresh(server, app, second.refreshToken)).status).toBe(200);
      expect((await auditEvents('application.enabled')).filter((e) => e.data.applicationId === app.id)).toHaveLength(1);
    });

    it('OAuth: its client_id refused at initiate, its hosted page, client authentication; its access and refresh tokens stop at once', async () => {
      const app = await createOAuthApp(server);
      const user = await createPasswordUser(server);
      const { code, verifier } = await obtainCode(server, app, user);
      const tokens = await (await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier }, basicOf(app))).json();
      expect(tokens.refresh_token).toMatch(/^rt_/);
      const userInfo = () => server.request('/v1/user', { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect((await userInfo()).status).toBe(200);
      const credentials = await (await tokenRequest(server, { grant_type: 'client_credentials', scope: 'profile' }, basicOf(app))).json();
      // A pending authorization request, and its hosted page, from before.
      const { challenge } = pkce();
      const pending = await (await initiate(server, standardQuery(app, challenge))).json();
      const hostedPath = new URL(pending.url).pathname;
      expect((await server.request(hostedPath)).status).toBe(200);

      expect((await api(mine, 'POST', `/admin/v1/applications/${app.id}/disable`)).status).toBe(200);

      const answer = await userInfo();
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
      const refreshed = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app));
      expect(refreshed.status).toBe(401);
      expect((await refreshed.json()).error).toBe('invalid_client');
      const started = await initiate(server, standardQuery(app, pkce().challenge));
      expect(started.status).not.toBe(200);
      expect((await server.request(hostedPath)).status).toBe(404);
      // A client_credentials token (no session) is refused by the bearer check too.
      await expect(authenticateBearer(server.server.runtime.deps, credentials.access_token, ['oauth'])).rejects.toThrow(/disabled/);

      await api(mine, 'POST', `/admin/v1/applications/${app.id}/enable`);
      expect((await userInfo()).status).toBe(200);
      expect((await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basicOf(app))).status).toBe(200);
    });
  });
});
