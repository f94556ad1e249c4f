import { constantTimeEqual, hashSecret } from '../crypto/hash.js';
import { generateId, generateSecret } from '../crypto/random.js';
import { InvalidInput, InvalidToken, NotFound } from '../protocol/errors.js';
import type { AdminToken, PageRequest } from '../storage/store.js';
import { withActor, type AdminPrincipal, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';
import { fetchPage, type Page } from './paging.js';

export type { AdminToken } from '../storage/store.js';

/** The prefix of an admin token's secret (SPEC §10): tells it apart from every other credential. */
export const ADMIN_TOKEN_PREFIX = 'lka_';

/** `lastUsedAt` is written at most this often: a busy token must not write on every request. */
const LAST_USED_INTERVAL_MS = 60_000;

/** A new admin token with its secret — the only time the secret exists outside the caller's hands. */
export interface IssuedAdminToken {
  token: AdminToken;
  secret: string;
}

/**
 * Creates an admin token (SPEC §10). `organizationId` null: every organization. The secret is
 * returned once and stored only as its SHA-256 (SPEC §4), like every opaque secret.
 */
export async function createAdminToken(
  deps: FlowDeps,
  input: { name: string; organizationId: string | null; readOnly: boolean },
  actor?: AuditActor,
): Promise<IssuedAdminToken> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new InvalidInput('the name must be 1 to 100 characters');
  if (input.organizationId !== null && !(await deps.store.getOrganization(input.organizationId))) {
    throw new InvalidInput(`no organization ${input.organizationId}`);
  }
  const now = deps.clock.now();
  const secret = generateSecret(ADMIN_TOKEN_PREFIX);
  const token: AdminToken = {
    id: generateId('adm_', now), name, organizationId: input.organizationId, readOnly: input.readOnly, createdAt: now, revokedAt: null, lastUsedAt: null,
  };
  await deps.store.createAdminToken(token, hashSecret(secret));
  await deps.audit.record('admin_token.created', token.organizationId, withActor({ adminTokenId: token.id, name, readOnly: token.readOnly }, actor));
  return { token, secret };
}

/**
 * The principal of a presented admin token, or InvalidToken (401) for an unknown, malformed or
 * revoked one. Found by the SHA-256 of the secret, then the stored hash compared in constant time
 * (STYLE §11), as other secrets are. Revocation takes effect at once: nothing is cached.
 */
export async function authenticateAdminToken(deps: FlowDeps, presented: string): Promise<AdminPrincipal> {
  if (!presented.startsWith(ADMIN_TOKEN_PREFIX) || presented.length > 200) throw new InvalidToken('the admin token is not valid');
  const presentedHash = hashSecret(presented);
  const found = await deps.store.findAdminTokenByHash(presentedHash);
  if (!found || !constantTimeEqual(found.tokenHash, presentedHash)) throw new InvalidToken('the admin token is not valid');
  if (found.token.revokedAt !== null) throw new InvalidToken('the admin token was revoked');
  const { token } = found;
  const now = deps.clock.now();
  if (token.lastUsedAt === null || token.lastUsedAt <= now - LAST_USED_INTERVAL_MS) {
    await deps.store.touchAdminToken(token.id, now, LAST_USED_INTERVAL_MS);
  }
  return { tokenId: token.id, name: token.name, organizationId: token.organizationId, readOnly: token.readOnly };
}

/** Admin tokens in id order; `organizationId`: only that organization's (undefined: every token). */
export function listAdminTokens(deps: FlowDeps, filter: { organizationId?: string }, page: PageRequest): Promise<Page<AdminToken>> {
  return fetchPage(page, (request) => deps.store.listAdminTokens(filter, request), (token) => token.id);
}

export async function getAdminToken(deps: FlowDeps, id: string): Promise<AdminToken> {
  const token = await deps.store.getAdminToken(id);
  if (!token) throw new NotFound(`no admin token ${id}`);
  return token;
}

/**
 * Revokes an admin token: from the next request on it gets 401. Revoking a revoked token changes
 * nothing and is not an error. Returns the token as stored afterwards.
 */
export async function revokeAdminToken(deps: FlowDeps, id: string, actor?: AuditActor): Promise<AdminToken> {
  const token = await getAdminToken(deps, id);
  if (await deps.store.revokeAdminToken(id, deps.clock.now())) {
    await deps.audit.record('admin_token.revoked', token.organizationId, withActor({ adminTokenId: id, name: token.name }, actor));
  }
  return getAdminToken(deps, id);
}

/** An admin token as the CLI and the admin API show it (SPEC §1: ISO 8601 instants); never its secret or hash. */
export function describeAdminToken(token: AdminToken) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: token.id,
    name: token.name,
    organizationId: token.organizationId,
    readOnly: token.readOnly,
    createdAt: iso(token.createdAt)!,
    revokedAt: iso(token.revokedAt),
    lastUsedAt: iso(token.lastUsedAt),
  };
}
