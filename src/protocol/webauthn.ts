// Pure rules of passkeys (SPEC §12, WebAuthn Level 3). Parsing and signature checks belong to
// @simplewebauthn/server (flows/passkey-ceremony.ts); what is here is Latchkey's policy.

/** How long the challenge of one ceremony may be answered: the `timeout` the options carry, too. */
export const PASSKEY_CHALLENGE_TTL_SECONDS = 300;

/** The longest name a person may give a passkey. */
export const PASSKEY_NAME_MAX_LENGTH = 100;

/**
 * WebAuthn L3 §7.2 step 21 (§6.1.1): a signature counter that did not move past the stored one —
 * unless both are 0, the value of authenticators that keep no counter (synced passkeys) — signals
 * that the credential may exist twice (a cloned authenticator); the assertion is refused.
 */
export function isSignCounterStale(stored: number, received: number): boolean {
  return (received > 0 || stored > 0) && received <= stored;
}

/**
 * WebAuthn L3 §7.1 step 9 / §7.2 step 13: the origins a ceremony's `clientDataJSON.origin` may name
 * for an application — the issuer's own (the hosted pages) always, and the ones the application
 * lists for its own pages (exact match, like CORS origins).
 */
export function passkeyOrigins(issuer: string, applicationOrigins: readonly string[]): string[] {
  return [...new Set([new URL(issuer).origin, ...applicationOrigins])];
}
