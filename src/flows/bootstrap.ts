import { randomUUID } from 'node:crypto';
import { generateId } from '../crypto/random.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../protocol/lifetimes.js';
import type { Organization } from '../storage/store.js';
import { UniqueConflict } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import { createApplication, type IssuedSecret } from './applications.js';
import type { FlowDeps } from './deps.js';
import { INSTANCE_ID } from './instance.js';

export const DEFAULT_ORGANIZATION_NAME = 'default';

/** Creates an organization with the default lifetimes of SPEC §4. */
export async function createOrganization(deps: Pick<FlowDeps, 'store' | 'clock' | 'audit'>, name: string, actor?: AuditActor): Promise<Organization> {
  const now = deps.clock.now();
  const organization: Organization = {
    id: generateId('org_', now),
    name,
    settings: { ...DEFAULT_ORGANIZATION_SETTINGS },
    branding: { displayName: null, logoUrl: null, accentColor: null },
    createdAt: now,
  };
  await deps.store.createOrganization(organization);
  await deps.audit.record('organization.created', organization.id, withActor({ name }, actor));
  return organization;
}

/**
 * SPEC §1: a database always has its `default` organization. Whatever touches a new database first —
 * `serve`, `migrate`, any other command — creates it; instances and commands racing to do so agree
 * through the organization's unique name. Returns true when this call created it.
 */
export async function ensureDefaultOrganization(deps: Pick<FlowDeps, 'store' | 'clock' | 'audit'>): Promise<boolean> {
  if ((await deps.store.listOrganizations()).length > 0) return false;
  try {
    await createOrganization(deps, DEFAULT_ORGANIZATION_NAME);
    return true;
  } catch (error) {
    if (error instanceof UniqueConflict) return false;
    throw error;
  }
}

/**
 * A lease that never expires, held by a name no other call uses: the first claim inserts it, every
 * later one — another instance or the same process — finds it held (one conditional insert).
 */
const DEMO_APPLICATION_CLAIM = 'first-start:demo-application';
const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * SPEC §8 first start: the first `serve` on a database without applications creates a demo
 * application in `default` and returns its keys so they can be printed once; otherwise undefined.
 * CLI commands before it only leave the organization (SPEC §1). Instances starting together agree
 * through a claim that never expires (one conditional insert), so exactly one makes it.
 */
export async function bootstrapDemoApplication(deps: FlowDeps): Promise<IssuedSecret | undefined> {
  await ensureDefaultOrganization(deps);
  if ((await deps.store.listApplications()).length > 0) return undefined;
  const organization = await deps.store.findOrganizationByName(DEFAULT_ORGANIZATION_NAME);
  if (!organization) return undefined;
  if (!(await deps.store.acquireLease(DEMO_APPLICATION_CLAIM, `${INSTANCE_ID}:${randomUUID()}`, deps.clock.now(), NEVER))) return undefined;
  return createApplication(deps, {
    organizationId: organization.id,
    name: 'Demo application',
    type: 'confidential',
    environment: 'test',
    redirectUris: ['http://127.0.0.1:8080/callback', 'http://localhost:8080/callback'],
    postLogoutRedirectUris: ['http://127.0.0.1:8080/', 'http://localhost:8080/'],
  });
}
