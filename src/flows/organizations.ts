import { Conflict, InvalidInput, NotFound } from '../protocol/errors.js';
import { UniqueConflict, type Organization, type OrganizationBranding, type PageRequest } from '../storage/store.js';
import type { AuditActor } from './admin-principal.js';
import { createOrganization } from './bootstrap.js';
import { BrandingError, setOrganizationBranding } from './branding.js';
import type { FlowDeps } from './deps.js';
import { fetchPage, type Page } from './paging.js';

export type { Organization } from '../storage/store.js';

/** Organizations in id order; `organizationId`: only that one (an organization's admin token). */
export function listOrganizations(deps: FlowDeps, filter: { organizationId?: string }, page: PageRequest): Promise<Page<Organization>> {
  return fetchPage(page, (request) => deps.store.pageOrganizations(filter, request), (organization) => organization.id);
}

export async function getOrganization(deps: FlowDeps, id: string): Promise<Organization> {
  const organization = await deps.store.getOrganization(id);
  if (!organization) throw new NotFound(`no organization ${id}`);
  return organization;
}

/** Creates an organization (SPEC §1) as `latchkey orgs create` does; a taken name → 409. */
export async function createNamedOrganization(deps: FlowDeps, name: string, actor?: AuditActor): Promise<Organization> {
  try {
    return await createOrganization(deps, name, actor);
  } catch (error) {
    if (error instanceof UniqueConflict) throw new Conflict(`an organization named "${name}" exists`);
    throw error;
  }
}

/**
 * Changes what the hosted pages show for an organization (SPEC §7), as `latchkey orgs set-branding`
 * does: fields absent are kept, null clears one. Returns the organization as stored afterwards.
 */
export async function updateOrganizationBranding(deps: FlowDeps, id: string, change: Partial<OrganizationBranding>, actor?: AuditActor): Promise<Organization> {
  const organization = await getOrganization(deps, id);
  const branding: OrganizationBranding = { ...organization.branding, ...change };
  try {
    await setOrganizationBranding(deps, id, branding, actor);
  } catch (error) {
    if (error instanceof BrandingError) throw new InvalidInput(error.message);
    throw error;
  }
  return getOrganization(deps, id);
}

/** An organization as the admin API shows it. */
export function describeOrganization(organization: Organization) {
  return {
    id: organization.id,
    name: organization.name,
    displayName: organization.branding.displayName,
    logoUrl: organization.branding.logoUrl,
    accentColor: organization.branding.accentColor,
    settings: organization.settings,
    createdAt: new Date(organization.createdAt).toISOString(),
  };
}
