import type { Application, OrganizationBranding } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';

/** A branding value that cannot be stored; the CLI prints the message. */
export class BrandingError extends Error {}

const ACCENT = /^#[0-9a-fA-F]{6}$/;

function checkAccent(value: string | null | undefined): void {
  if (value && !ACCENT.test(value)) throw new BrandingError(`accent colour ${value} must be #rrggbb`);
}

function checkLogo(value: string | null | undefined): void {
  if (!value) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BrandingError(`logo URL ${value} is not a URL`);
  }
  // The pages' CSP allows images from here and over https only.
  if (url.protocol !== 'https:') throw new BrandingError('the logo URL must be https');
}

/** Throws BrandingError for a name, logo URL or accent colour the hosted pages cannot show (SPEC §7). */
export function checkApplicationBranding(branding: { name?: string; logoUrl?: string | null; accentColor?: string | null }): void {
  checkAccent(branding.accentColor);
  checkLogo(branding.logoUrl);
  if (branding.name !== undefined && (branding.name.trim() === '' || branding.name.length > 100)) throw new BrandingError('the name must be 1 to 100 characters');
}

/** Sets an application's hosted-page branding (name, logo, accent) and first-party flag (SPEC §7). */
export async function setApplicationBranding(
  deps: FlowDeps,
  applicationId: string,
  branding: { name?: string; logoUrl?: string | null; accentColor?: string | null; isFirstParty?: boolean },
): Promise<Application> {
  checkApplicationBranding(branding);
  const updated = await deps.store.updateApplicationBranding(applicationId, branding);
  if (!updated) throw new BrandingError(`no application ${applicationId}`);
  await deps.audit.record('application.branding_changed', updated.organizationId, { applicationId, isFirstParty: updated.isFirstParty });
  return updated;
}

/** Sets what the hosted pages show for an organization when its applications set nothing. */
export async function setOrganizationBranding(deps: FlowDeps, organizationId: string, branding: OrganizationBranding, actor?: AuditActor): Promise<void> {
  checkAccent(branding.accentColor);
  checkLogo(branding.logoUrl);
  await deps.store.setOrganizationBranding(organizationId, branding);
  await deps.audit.record('organization.branding_changed', organizationId, withActor({}, actor));
}

/** The accent colour of an application's hosted pages: its own, else its organization's; undefined for neither. */
export async function findAccentColor(deps: FlowDeps, applicationId: string): Promise<string | undefined> {
  const application = await deps.store.getApplication(applicationId);
  if (!application) return undefined;
  if (application.accentColor) return application.accentColor;
  return (await deps.store.getOrganization(application.organizationId))?.branding.accentColor ?? undefined;
}
