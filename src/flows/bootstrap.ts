import { generateId } from '../crypto/random.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../protocol/lifetimes.js';
import type { Organization } from '../storage/store.js';
import { UniqueConflict } from '../storage/store.js';
import { createApplication, type IssuedSecret } from './applications.js';
import type { FlowDeps } from './deps.js';

export const DEFAULT_ORGANIZATION_NAME = 'default';

/** Creates an organization with the default lifetimes of SPEC §4. */
export async function createOrganization(deps: FlowDeps, name: string): Promise<Organization> {
  const now = deps.clock.now();
  const organization: Organization = {
    id: generateId('org_', now),
    name,
    settings: { ...DEFAULT_ORGANIZATION_SETTINGS },
    branding: { displayName: null, logoUrl: null, accentColor: null },
    createdAt: now,
  };
  await deps.store.createOrganization(organization);
  await deps.audit.record('organization.created', organization.id, { name });
  return organization;
}

/**
 * SPEC §8 first start: on a database without organizations, creates `default` and a demo
 * application, and returns the demo keys so they can be printed once. Returns undefined otherwise
 * (also when another instance won the race to bootstrap).
 */
export async function bootstrapIfEmpty(deps: FlowDeps): Promise<IssuedSecret | undefined> {
  if ((await deps.store.listOrganizations()).length > 0) return undefined;
  let organization: Organization;
  try {
    organization = await createOrganization(deps, DEFAULT_ORGANIZATION_NAME);
  } catch (error) {
    if (error instanceof UniqueConflict) return undefined;
    throw error;
  }
  return createApplication(deps, {
    organizationId: organization.id,
    name: 'Demo application',
    type: 'confidential',
    environment: 'test',
    redirectUris: ['http://127.0.0.1:8080/callback', 'http://localhost:8080/callback'],
    allowedScopes: ['openid', 'profile', 'email'],
  });
}
