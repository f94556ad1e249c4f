import type { ExternalIdentity } from '../storage/store.js';
import { LATCHKEY_IDENTITY_ISSUER, type VerifiedFields } from './identity-sign-in.js';
import { identityOf, verifiedFieldsOf } from './otp.js';
import type { FirstFactor } from './second-factor-challenge.js';

/** What the first factor of a sign-in proves, for planVerifiedSignIn once the second factor is given too. */
export interface FirstFactorProof {
  /** The identity the session is started through (its provider names the way in, `via`). */
  identity: ExternalIdentity;
  /** The identity whose consumer the sign-in is for, looked up by the store; null when the factor names its consumer itself (a passkey). */
  lookup: ExternalIdentity | null;
  /** The consumer fields the factor fills when they are empty. */
  fields: VerifiedFields;
}

/** SPEC §12: the identity a passkey sign-in goes through: named only, never stored (a passkey is no identity). */
export function passkeyIdentity(passkeyId: string): ExternalIdentity {
  return { provider: 'passkey', issuer: LATCHKEY_IDENTITY_ISSUER, subject: passkeyId };
}

/**
 * A code sent to an email or phone proves that address's identity (and fills it); a passkey
 * without user verification proves its own consumer, and fills nothing (SPEC §12).
 */
export function firstFactorProof(verified: FirstFactor): FirstFactorProof {
  if (verified.channel === 'passkey') return { identity: passkeyIdentity(verified.destination), lookup: null, fields: {} };
  const identity = identityOf(verified);
  return { identity, lookup: identity, fields: verifiedFieldsOf(verified) };
}
