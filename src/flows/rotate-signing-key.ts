import type { RotationResult } from './keyring.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';

/**
 * Rotates the signing key for every organization: the old keys stay published until the longest
 * access token any organization issues (or the fixed 6 h JWTs) has expired.
 */
export async function rotateSigningKey(deps: FlowDeps, actor?: AuditActor): Promise<RotationResult> {
  await deps.keyring.ensureKey();
  const organizations = await deps.store.listOrganizations();
  const longestAccessTtl = Math.max(
    0,
    ...organizations.flatMap((o) => [o.settings.accessTokenTtlSeconds, o.settings.loginTokenTtlSeconds, o.settings.oauthAccessTokenTtlSeconds]),
  );
  const result = await deps.keyring.rotate(longestAccessTtl);
  await deps.audit.record('signing_key.rotated', null, withActor({ kid: result.kid, activatesAt: new Date(result.activatesAt).toISOString() }, actor));
  return result;
}

/** A rotation as `latchkey keys rotate --json` and the admin API report it (SPEC §1: ISO 8601 instants). */
export function describeRotation(result: RotationResult) {
  return {
    kid: result.kid,
    idTokenKid: result.idTokenKid,
    publishedAt: new Date(result.publishedAt).toISOString(),
    signsFrom: new Date(result.activatesAt).toISOString(),
    previousKeysRetireAt: new Date(result.previousRetireAt).toISOString(),
  };
}

/** Every signing key, retired ones included, newest first — public facts only, never the private half. */
export async function listSigningKeys(deps: FlowDeps) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return (await deps.store.listAllSigningKeys()).map((key) => ({
    kid: key.kid,
    algorithm: key.algorithm,
    createdAt: iso(key.createdAt)!,
    activatesAt: iso(key.activatesAt)!,
    retiresAt: iso(key.retiresAt),
  }));
}
