import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminRequest, createAdminToken, type TestAdminToken } from './helpers/admin.js';
import { describeEachEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §10: the admin API's credential, its scoping and its paging, on the real admin listener.
describeEachEngine('issue 17 / SPEC §10: admin tokens and the admin listener', (engine) => {
  let server: TestServer;
  let all: TestAdminToken;
  let mine: TestAdminToken;

  beforeAll(async () => {
    server = await startTestServer(engine);
    all = await createAdminToken(server, { name: 'ops', organizationId: null });
    mine = await createAdminToken(server, { name: 'support' });
  });
  afterAll(() => server?.close());

  it('no token → 401 authentication_required with a bare Bearer challenge', async () => {
    const response = await adminRequest(server, null, 'GET', '/admin/v1/admin-tokens');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="latchkey-admin"');
    expect((await response.json()).error).toBe('authentication_required');
  });

  it('an unknown token, a token of another kind and a malformed header → 401 invalid_token with the challenge', async () => {
    for (const header of ['lka_' + 'A'.repeat(43), server.demo.secretKey, `${all.secret} extra`]) {
      const response = await adminRequest(server, header, 'GET', '/admin/v1/admin-tokens');
      expect(response.status, header.slice(0, 6)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="latchkey-admin", error="invalid_token"');
      expect((await response.json()).error).toBe('invalid_token');
    }
  });

  it('a revoked token → 401 at its very next request', async () => {
    const doomed = await createAdminToken(server, { name: 'doomed' });
    expect((await adminRequest(server, doomed, 'GET', '/admin/v1/admin-tokens')).status).toBe(200);
    const revoked = await adminRequest(server, all, 'POST', `/admin/v1/admin-tokens/${doomed.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).revokedAt).toBe(new Date(server.clock.now()).toISOString());
    const after = await adminRequest(server, doomed, 'GET', '/admin/v1/admin-tokens');
    expect(after.status).toBe(401);
    expect((await after.json()).error).toBe('invalid_token');
  });

  it('a read-only token reads (200) and is refused every change (403), even revoking itself', async () => {
    const reader = await createAdminToken(server, { name: 'reader', readOnly: true });
    expect((await adminRequest(server, reader, 'GET', '/admin/v1/admin-tokens')).status).toBe(200);
    const response = await adminRequest(server, reader, 'POST', `/admin/v1/admin-tokens/${reader.id}/revoke`);
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('forbidden');
    expect((await adminRequest(server, reader, 'GET', '/admin/v1/admin-tokens')).status).toBe(200);
  });

  it('an organization\'s token lists only its organization\'s tokens; another\'s (and an all-organizations one) are 404', async () => {
    const otherOrg = await createOrganization(server, 'other-admin');
    const foreign = await createAdminToken(server, { name: 'foreign', organizationId: otherOrg });
    const listed = await (await adminRequest(server, mine, 'GET', '/admin/v1/admin-tokens?limit=200')).json();
    const ids = listed.data.map((t: { id: string }) => t.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(foreign.id);
    expect(ids).not.toContain(all.id);
    for (const id of [foreign.id, all.id]) {
      expect((await adminRequest(server, mine, 'GET', `/admin/v1/admin-tokens/${id}`)).status).toBe(404);
      expect((await adminRequest(server, mine, 'POST', `/admin/v1/admin-tokens/${id}/revoke`)).status).toBe(404);
    }
    expect((await adminRequest(server, foreign, 'GET', `/admin/v1/admin-tokens/${foreign.id}`)).status).toBe(200);
    // The all-organizations token sees every one.
    const everything = await (await adminRequest(server, all, 'GET', '/admin/v1/admin-tokens?limit=200')).json();
    expect(everything.data.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([mine.id, foreign.id, all.id]));
  });

  it('paging: limit and nextCursor walk every token once, in creation order, while tokens are added', async () => {
    for (let i = 0; i < 5; i++) await createAdminToken(server, { name: `page-${i}`, organizationId: null });
    const before = (await (await adminRequest(server, all, 'GET', '/admin/v1/admin-tokens?limit=200')).json()).data.map((t: { id: string }) => t.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const response: Response = await adminRequest(server, all, 'GET', `/admin/v1/admin-tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: Array<{ id: string }>; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((t) => t.id));
      cursor = page.nextCursor;
      // Ids are time-ordered: a row made later sorts after every row that existed.
      server.clock.advance(1);
      if (added++ < 2) await createAdminToken(server, { name: `during-${added}`, organizationId: null });
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, before.length)).toEqual(before);
    expect([...seen].sort()).toEqual(seen);
    const fresh = await (await adminRequest(server, all, 'GET', '/admin/v1/admin-tokens?limit=200')).json();
    expect(seen).toEqual(fresh.data.map((t: { id: string }) => t.id));
  });

  it('paging: a limit outside 1–200 → 400 validation_error; a cursor this API did not make → 400 invalid_input', async () => {
    for (const limit of ['0', '201', 'x']) {
      const response = await adminRequest(server, all, 'GET', `/admin/v1/admin-tokens?limit=${limit}`);
      expect(response.status, limit).toBe(400);
      expect((await response.json()).error).toBe('validation_error');
    }
    const response = await adminRequest(server, all, 'GET', '/admin/v1/admin-tokens?cursor=not-a-cursor');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_input');
  });

  it('lists never show a secret; lastUsedAt follows use, written at most once a minute', async () => {
    const text = await (await adminRequest(server, all, 'GET', '/admin/v1/admin-tokens?limit=200')).text();
    expect(text).not.toContain('lka_');
    server.clock.advance(61);
    const usedAt = new Date(server.clock.now()).toISOString();
    expect((await (await adminRequest(server, all, 'GET', `/admin/v1/admin-tokens/${all.id}`)).json()).lastUsedAt).toBe(usedAt);
    server.clock.advance(30);
    expect((await (await adminRequest(server, all, 'GET', `/admin/v1/admin-tokens/${all.id}`)).json()).lastUsedAt).toBe(usedAt);
    server.clock.advance(31);
    expect((await (await adminRequest(server, all, 'GET', `/admin/v1/admin-tokens/${all.id}`)).json()).lastUsedAt).toBe(new Date(server.clock.now()).toISOString());
  });

  it('revoking names the token that did it in the audit event, never a secret', async () => {
    const target = await createAdminToken(server, { name: 'target' });
    expect((await adminRequest(server, mine, 'POST', `/admin/v1/admin-tokens/${target.id}/revoke`)).status).toBe(200);
    const events = await server.server.runtime.deps.store.listAuditEvents(mine.organizationId, 'admin_token.revoked');
    const event = events.find((e) => e.data.adminTokenId === target.id)!;
    expect(event.data.actor).toEqual({ type: 'admin_token', id: mine.id, name: 'support' });
    expect(JSON.stringify(events)).not.toContain('lka_');
  });

  it('the public listener answers 404 for /admin/v1/… and /metrics, even with a valid admin token', async () => {
    for (const path of ['/admin/v1/admin-tokens', '/admin/v1/openapi.json', '/metrics']) {
      const response = await server.request(path, { headers: { authorization: `Bearer ${all.secret}` } });
      expect(response.status, path).toBe(404);
    }
  });

  it('the admin OpenAPI document lists every admin route under the Admin tag and adminToken scheme; the public one lists none', async () => {
    const admin = await (await fetch(`${server.adminUrl}/admin/v1/openapi.json`)).json();
    const { buildAdminRoutes } = await import('../src/http/admin/routes.js');
    const routes = buildAdminRoutes(server.server.runtime.deps);
    for (const route of routes) {
      const operation = admin.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.tags).toEqual(['Admin']);
      if (route.path !== '/admin/v1/openapi.json') expect(operation.security).toEqual([{ adminToken: [] }]);
    }
    expect(Object.keys(admin.components.securitySchemes)).toEqual(['adminToken']);
    const publicDocument = await (await server.request('/openapi.json')).json();
    expect(Object.keys(publicDocument.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
    expect(Object.keys(publicDocument.components.securitySchemes)).not.toContain('adminToken');
    expect(JSON.stringify(publicDocument)).not.toContain('Admin');
  });
});

async function createOrganization(server: TestServer, name: string): Promise<string> {
  const { createOrganization: create } = await import('../src/flows/bootstrap.js');
  return (await create(server.server.runtime.deps, name)).id;
}
