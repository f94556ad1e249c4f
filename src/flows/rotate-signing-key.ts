import type { RotationResult } from './keyring.js';
import type { FlowDeps } from './deps.js';

/**
 * Rotates the signing key for every organization: the old keys stay published until the longest
 * access token any organization issues (or the fixed 6 h JWTs) has expired.
 */
export async function rotateSigningKey(deps: FlowDeps): Promise<RotationResult> {
  await deps.keyring.ensureKey();
  const organizations = await deps.store.listOrganizations();
  const longestAccessTtl = Math.max(
    0,
    ...organizations.flatMap((o) => [o.settings.accessTokenTtlSeconds, o.settings.loginTokenTtlSeconds, o.settings.oauthAccessTokenTtlSeconds]),
  );
  const result = await deps.keyring.rotate(longestAccessTtl);
  await deps.audit.record('signing_key.rotated', null, { kid: result.kid, activatesAt: new Date(result.activatesAt).toISOString() });
  return result;
}
