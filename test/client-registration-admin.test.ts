import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAdminToken, adminRequest, type TestAdminToken } from './helpers/admin.js';
import { describeEachEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// SPEC §10, §13: an organization's switches for clients nobody registered by hand, through the admin API.
describeEachEngine('admin API: client registration switches', (engine) => {
  let server: TestServer;
  let token: TestAdminToken;
  let organizationId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    organizationId = (await server.server.runtime.deps.store.findOrganizationByName('default'))!.id;
    token = await createAdminToken(server, { organizationId });
  });
  afterAll(() => server?.close());

  const path = () => `/admin/v1/organizations/${organizationId}/client-registration`;

  it('SPEC §13: off by default; PATCH switches them, generates a token shown once, and is audited', async () => {
    const initial = await adminRequest(server, token, 'GET', path());
    expect(await initial.json()).toEqual({ clientIdMetadataDocuments: 'off', dynamicClientRegistration: 'off', requiresInitialAccessToken: false });
    const changed = await adminRequest(server, token, 'PATCH', path(), { clientIdMetadataDocuments: 'test', initialAccessToken: 'generate' });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({
      clientIdMetadataDocuments: 'test', dynamicClientRegistration: 'off', requiresInitialAccessToken: true, initialAccessToken: expect.stringMatching(/^lkr_/),
    });
    expect(await (await adminRequest(server, token, 'GET', path())).json()).toEqual({ clientIdMetadataDocuments: 'test', dynamicClientRegistration: 'off', requiresInitialAccessToken: true });
    const events = await (await adminRequest(server, token, 'GET', `/admin/v1/audit-events?type=organization.client_registration_changed`)).json();
    expect(events.data[0]).toMatchObject({ type: 'organization.client_registration_changed', data: { clientIdMetadataDocuments: 'test', actor: { id: token.id, type: 'admin_token' } } });
    expect(JSON.stringify(events)).not.toContain('lkr_');
    const metadata = await (await server.request('/.well-known/oauth-authorization-server')).json();
    expect(metadata.client_id_metadata_document_supported).toBe(true);
  });

  it('a value that is not off, test or live is a 400', async () => {
    const response = await adminRequest(server, token, 'PATCH', path(), { dynamicClientRegistration: 'on' });
    expect(response.status).toBe(400);
  });
});
