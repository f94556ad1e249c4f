import { Forbidden, NotFound } from '../protocol/errors.js';

/** Who calls the admin API (SPEC §10): the admin token the request presented, never its secret. */
export interface AdminPrincipal {
  tokenId: string;
  name: string;
  /** The one organization this token sees; null: every organization. */
  organizationId: string | null;
  readOnly: boolean;
}

/**
 * Who made a change, as every admin change's audit event names it (`data.actor`, SPEC §10): the
 * token's id and name — never its secret. The store copies `id` into an indexed column, so the audit
 * events can be filtered by actor.
 */
export interface AuditActor {
  type: 'admin_token';
  id: string;
  name: string;
}

export function auditActor(principal: AdminPrincipal): AuditActor {
  return { type: 'admin_token', id: principal.tokenId, name: principal.name };
}

/** An event's data with its actor, when the change came through the admin API (the CLI has none). */
export function withActor(data: Record<string, unknown>, actor: AuditActor | undefined): Record<string, unknown> {
  return actor ? { ...data, actor } : data;
}

/** Whether the token may see what belongs to `organizationId` (null: instance-wide things, e.g. signing keys). */
export function canSee(principal: AdminPrincipal, organizationId: string | null): boolean {
  return principal.organizationId === null || principal.organizationId === organizationId;
}

/**
 * Throws 404 for what the token may not see: a token of one organization learns nothing about
 * another's records, not even that they exist (SPEC §10).
 */
export function assertVisible(principal: AdminPrincipal, organizationId: string | null, what: string): void {
  if (!canSee(principal, organizationId)) throw new NotFound(`no such ${what}`);
}

/** The organization filter of a list: the token's own organization, or undefined for every one. */
export function organizationScope(principal: AdminPrincipal): string | undefined {
  return principal.organizationId ?? undefined;
}

/** Throws 403 unless the token spans every organization (creating organizations, rotating signing keys). */
export function assertAllOrganizations(principal: AdminPrincipal, action: string): void {
  if (principal.organizationId !== null) throw new Forbidden(`only an all-organizations admin token may ${action}`);
}
