import type { Application, OrganizationSettings } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

/** The token lifetimes of the application's organization (SPEC §4: configurable per organization). */
export async function settingsOf(deps: FlowDeps, application: Application): Promise<OrganizationSettings> {
  const organization = await deps.store.getOrganization(application.organizationId);
  // Applications reference their organization by foreign key; a miss is a broken database.
  if (!organization) throw new Error(`application ${application.id} has no organization`);
  return organization.settings;
}
