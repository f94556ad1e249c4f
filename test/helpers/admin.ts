import { createAdminToken as createToken } from '../../src/flows/admin-tokens.js';
import type { TestServer } from './server.js';

/** An admin token made through the same flow as `latchkey admin-tokens create`: its id and its secret. */
export interface TestAdminToken {
  id: string;
  secret: string;
  organizationId: string | null;
}

/**
 * Creates an admin token on a test server (SPEC §10). Default: scoped to the demo application's
 * organization (`default`), read-write. `organizationId: null` spans every organization.
 */
export async function createAdminToken(
  server: TestServer,
  options: { name?: string; organizationId?: string | null; readOnly?: boolean } = {},
): Promise<TestAdminToken> {
  const deps = server.server.runtime.deps;
  const organizationId = options.organizationId === undefined ? (await deps.store.getApplication(server.demo.id))!.organizationId : options.organizationId;
  const { token, secret } = await createToken(deps, { name: options.name ?? 'test token', organizationId, readOnly: options.readOnly ?? false });
  return { id: token.id, secret, organizationId };
}

/**
 * Calls the admin listener (never the public one) with `Authorization: Bearer <token>`; `token`
 * null sends no Authorization header. A body is sent as JSON.
 */
export function adminRequest(server: TestServer, token: TestAdminToken | string | null, method: string, path: string, body?: unknown): Promise<Response> {
  const headers = new Headers();
  if (token !== null) headers.set('authorization', `Bearer ${typeof token === 'string' ? token : token.secret}`);
  if (body !== undefined) headers.set('content-type', 'application/json');
  return fetch(server.adminUrl + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}
