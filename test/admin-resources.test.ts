import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminRequest, createAdminToken, type TestAdminToken } from './helpers/admin.js';
import { STACK_LINE, runBin } from './helpers/bin.js';
import { describeEachEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Page<T = Record<string, any>> = { data: T[]; nextCursor: string | null };

// SPEC §10: organizations, signing keys and audit events through the real admin listener.
describeEachEngine('issue 17 / SPEC §10: admin API — organizations, signing keys, audit events', (engine) => {
  let server: TestServer;
  let all: TestAdminToken;
  let mine: TestAdminToken;
  let reader: TestAdminToken;
  let defaultOrg: string;

  const json = async (response: Response, status = 200) => {
    expect(response.status, await response.clone().text()).toBe(status);
    return response.json();
  };

  beforeAll(async () => {
    server = await startTestServer(engine);
    all = await createAdminToken(server, { name: 'ops', organizationId: null });
    mine = await createAdminToken(server, { name: 'support' });
    reader = await createAdminToken(server, { name: 'auditor', organizationId: null, readOnly: true });
    defaultOrg = mine.organizationId!;
  });
  afterAll(() => server?.close());

  it('organizations: an all-organizations token creates one (201) and lists every one; a taken name is 409', async () => {
    server.clock.advance(1); // ids are time-ordered; the frozen clock would leave two of one millisecond unordered
    const created = await json(await adminRequest(server, all, 'POST', '/admin/v1/organizations', { name: 'acme', displayName: 'Acme Inc.' }), 201);
    expect(created).toMatchObject({ id: expect.stringMatching(/^org_/), name: 'acme', displayName: 'Acme Inc.', logoUrl: null, accentColor: null });
    const page: Page = await json(await adminRequest(server, all, 'GET', '/admin/v1/organizations'));
    expect(page.data.map((o) => o.name)).toEqual(['default', 'acme']);
    expect(page.nextCursor).toBeNull();
    const again = await adminRequest(server, all, 'POST', '/admin/v1/organizations', { name: 'acme' });
    expect(again.status).toBe(409);
    expect((await again.json()).error).toBe('conflict');
    const bad = await adminRequest(server, all, 'POST', '/admin/v1/organizations', { name: 'Not A Slug' });
    expect((await json(bad, 400)).error).toBe('validation_error');
  });

  it('organizations: an organization\'s token lists and gets its own only (another\'s → 404) and cannot create one (403)', async () => {
    const page: Page = await json(await adminRequest(server, mine, 'GET', '/admin/v1/organizations'));
    expect(page.data.map((o) => o.id)).toEqual([defaultOrg]);
    const other = (await json(await adminRequest(server, all, 'GET', '/admin/v1/organizations?limit=200'))).data.find((o: { name: string }) => o.name !== 'default');
    expect((await adminRequest(server, mine, 'GET', `/admin/v1/organizations/${other.id}`)).status).toBe(404);
    expect((await adminRequest(server, mine, 'PATCH', `/admin/v1/organizations/${other.id}`, { displayName: 'x' })).status).toBe(404);
    expect((await adminRequest(server, mine, 'GET', '/admin/v1/organizations/org_nonexistent')).status).toBe(404);
    expect((await json(await adminRequest(server, mine, 'GET', `/admin/v1/organizations/${defaultOrg}`))).name).toBe('default');
    const refused = await adminRequest(server, mine, 'POST', '/admin/v1/organizations', { name: 'mine-too' });
    expect(refused.status).toBe(403);
  });

  it('organizations: PATCH changes the branding like orgs set-branding (the theme follows); bad values → 400; read-only → 403', async () => {
    const updated = await json(await adminRequest(server, mine, 'PATCH', `/admin/v1/organizations/${defaultOrg}`, { displayName: 'Shop & Co', accentColor: '#113355' }));
    expect(updated).toMatchObject({ displayName: 'Shop & Co', accentColor: '#113355', logoUrl: null });
    expect(await (await server.request(`/assets/theme/${server.demo.id}.css`)).text()).toContain('--accent: #113355');
    const kept = await json(await adminRequest(server, mine, 'PATCH', `/admin/v1/organizations/${defaultOrg}`, { accentColor: null }));
    expect(kept).toMatchObject({ displayName: 'Shop & Co', accentColor: null });
    const http = await adminRequest(server, mine, 'PATCH', `/admin/v1/organizations/${defaultOrg}`, { logoUrl: 'http://cdn.example/logo.png' });
    expect(await json(http, 400)).toMatchObject({ error: 'invalid_input', message: expect.stringContaining('https') });
    expect((await adminRequest(server, reader, 'PATCH', `/admin/v1/organizations/${defaultOrg}`, { displayName: 'x' })).status).toBe(403);
    expect((await json(await adminRequest(server, reader, 'GET', `/admin/v1/organizations/${defaultOrg}`))).displayName).toBe('Shop & Co');
  });

  it('signing keys: listed with kid, algorithm and times — never private material; rotation is the CLI\'s and retires the old keys', async () => {
    const before: Page = await json(await adminRequest(server, mine, 'GET', '/admin/v1/signing-keys'));
    expect(before.data.map((k) => k.algorithm).sort()).toEqual(['EdDSA', 'RS256']);
    for (const key of before.data) expect(Object.keys(key).sort()).toEqual(['activatesAt', 'algorithm', 'createdAt', 'kid', 'retiresAt']);
    expect((await adminRequest(server, mine, 'POST', '/admin/v1/signing-keys/rotate')).status).toBe(403);
    expect((await adminRequest(server, reader, 'POST', '/admin/v1/signing-keys/rotate')).status).toBe(403);
    const rotation = await json(await adminRequest(server, all, 'POST', '/admin/v1/signing-keys/rotate'));
    expect(rotation).toMatchObject({ kid: expect.any(String), idTokenKid: expect.any(String), signsFrom: expect.any(String), previousKeysRetireAt: expect.any(String) });
    const after: Page = await json(await adminRequest(server, all, 'GET', '/admin/v1/signing-keys'));
    expect(after.data).toHaveLength(4);
    expect(after.data.filter((k) => k.retiresAt === null).map((k) => k.kid).sort()).toEqual([rotation.kid, rotation.idTokenKid].sort());
    expect(after.data.find((k) => k.kid !== rotation.kid && k.algorithm === 'EdDSA')!.retiresAt).toBe(rotation.previousKeysRetireAt);
    const text = JSON.stringify(after);
    for (const secretish of ['private', 'sealed', '"d"', '"p"', '"q"']) expect(text).not.toContain(secretish);
    // The JWKS publishes the new key at once (published now, signs later).
    const jwks = await (await server.request('/.well-known/jwks.json')).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(rotation.kid);
  });

  it('audit events: admin changes name the token (actor filter), never a secret; an organization\'s token sees only its organization\'s events', async () => {
    const changes: Page = await json(await adminRequest(server, all, 'GET', `/admin/v1/audit-events?actor=${all.id}&limit=200`));
    expect(changes.data.map((e) => e.type)).toEqual(expect.arrayContaining(['organization.created', 'signing_key.rotated']));
    for (const event of changes.data) expect(event.data.actor).toEqual({ type: 'admin_token', id: all.id, name: 'ops' });
    const mineChanges: Page = await json(await adminRequest(server, all, 'GET', `/admin/v1/audit-events?actor=${mine.id}&type=organization.branding_changed`));
    expect(mineChanges.data).toHaveLength(2);
    expect(mineChanges.data.every((e) => e.organizationId === defaultOrg && e.data.actor.id === mine.id)).toBe(true);

    const everything: Page = await json(await adminRequest(server, all, 'GET', '/admin/v1/audit-events?limit=200'));
    expect(everything.data.some((e) => e.organizationId === null)).toBe(true);
    expect(JSON.stringify(everything)).not.toContain('lka_');
    const scoped: Page = await json(await adminRequest(server, mine, 'GET', '/admin/v1/audit-events?limit=200'));
    expect(scoped.data.length).toBeGreaterThan(0);
    expect(scoped.data.every((e) => e.organizationId === defaultOrg)).toBe(true);
    const acme = everything.data.find((e) => e.type === 'organization.created' && e.data.name === 'acme')!.organizationId;
    expect((await adminRequest(server, mine, 'GET', `/admin/v1/audit-events?organizationId=${acme}`)).status).toBe(404);
    const acmeOnly: Page = await json(await adminRequest(server, all, 'GET', `/admin/v1/audit-events?organizationId=${acme}`));
    expect(acmeOnly.data.map((e) => e.type).sort()).toEqual(['organization.branding_changed', 'organization.created']);
  });

  it('audit events: filter by consumer and by time; cursor paging walks every event once', async () => {
    const { authorize, IDENTITY } = await import('./helpers/flows.js');
    server.clock.advance(10);
    const from = new Date(server.clock.now()).toISOString();
    expect((await authorize(server, server.demo, { ...IDENTITY, subject: 'audit-filter' })).status).toBe(200);
    const recent: Page = await json(await adminRequest(server, mine, 'GET', `/admin/v1/audit-events?from=${from}`));
    const created = recent.data.find((e) => e.type === 'consumer.created')!;
    expect(created).toBeDefined();
    const consumerId = created.data.consumerId as string;
    const about: Page = await json(await adminRequest(server, mine, 'GET', `/admin/v1/audit-events?consumerId=${consumerId}`));
    expect(about.data.length).toBeGreaterThan(0);
    expect(about.data.every((e) => e.data.consumerId === consumerId)).toBe(true);
    const before: Page = await json(await adminRequest(server, mine, 'GET', `/admin/v1/audit-events?to=${from}&limit=200`));
    expect(before.data.every((e) => Date.parse(e.createdAt) < Date.parse(from))).toBe(true);
    expect(before.data.some((e) => e.data.consumerId === consumerId)).toBe(false);

    const full: Page = await json(await adminRequest(server, all, 'GET', '/admin/v1/audit-events?limit=200'));
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await json(await adminRequest(server, all, 'GET', `/admin/v1/audit-events?limit=3${cursor ? `&cursor=${cursor}` : ''}`));
      walked.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(full.data.map((e) => e.id));
    const bad = await adminRequest(server, all, 'GET', '/admin/v1/audit-events?from=yesterday&actor=sk_x');
    expect((await json(bad, 400)).error).toBe('validation_error');
  });

  it('organizations: delivery is set like `latchkey orgs set-delivery` — sealed, audited by kind, never echoed; bad settings 400 and nothing changes', async () => {
    const path = `/admin/v1/organizations/${defaultOrg}/delivery`;
    expect(await json(await adminRequest(server, mine, 'GET', path))).toEqual({ email: 'development', sms: 'development' });
    const secret = 'a-webhook-secret-of-32-characters!';
    const set = await adminRequest(server, mine, 'PATCH', path, { channel: 'sms', settings: { kind: 'webhook', url: 'https://sms.example/hook', secret } });
    const body = await set.clone().text();
    expect(await json(set)).toEqual({ email: 'development', sms: 'webhook' });
    expect(body).not.toContain(secret);
    const stored = await server.server.runtime.deps.delivery.getSettings(defaultOrg);
    expect(stored.sms).toEqual({ kind: 'webhook', url: 'https://sms.example/hook', secret });
    for (const bad of [
      { channel: 'sms', settings: { kind: 'smtp', url: 'smtp://mail.example', from: 'no-reply@shop.example' } },
      { channel: 'email', settings: { kind: 'webhook', url: 'https://x.example', secret: 'short' } },
    ]) {
      expect((await json(await adminRequest(server, mine, 'PATCH', path, bad), 400)).error).toMatch(/invalid_input|validation_error/);
    }
    expect(await json(await adminRequest(server, mine, 'GET', path))).toEqual({ email: 'development', sms: 'webhook' });
    expect((await adminRequest(server, reader, 'PATCH', path, { channel: 'email', settings: { kind: 'development' } })).status).toBe(403);
    const events: Page = await json(await adminRequest(server, all, 'GET', `/admin/v1/audit-events?type=organization.delivery_changed&actor=${mine.id}`));
    expect(events.data).toHaveLength(1);
    expect(JSON.stringify(events.data)).not.toContain(secret);
  });

  it('organizations: `latchkey orgs set-delivery` runs the same flow — the admin API then reads the kind it set; a bad one is one line and changes nothing', async () => {
    const { config } = server.server.runtime;
    const env = { LATCHKEY_DATABASE_URL: config.databaseUrl, LATCHKEY_SECRET: config.secret! };
    const cli = await runBin(['orgs', 'set-delivery', '--channel', 'email', '--webhook-url', 'https://mail.example/hook', '--webhook-secret', 'another-secret-of-32-characters!!', '--json'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ channel: 'email', kind: 'webhook' });
    const path = `/admin/v1/organizations/${defaultOrg}/delivery`;
    expect((await json(await adminRequest(server, mine, 'GET', path))).email).toBe('webhook');
    const refused = await runBin(['orgs', 'set-delivery', '--channel', 'sms', '--smtp-url', 'smtp://mail.example', '--from', 'a@b.example'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SMTP delivers email only/);
    expect(refused.stderr).not.toMatch(STACK_LINE);
    expect((await json(await adminRequest(server, mine, 'GET', path))).sms).not.toBe('smtp');
  });
});
