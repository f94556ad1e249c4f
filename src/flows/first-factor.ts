import type { ExternalIdentity } from '../storage/store.js';
import { LATCHKEY_IDENTITY_ISSUER } from './identity-sign-in.js';

/** SPEC §12: the identity a passkey sign-in goes through: named only, never stored (a passkey is no identity). */
export function passkeyIdentity(passkeyId: string): ExternalIdentity {
  return { provider: 'passkey', issuer: LATCHKEY_IDENTITY_ISSUER, subject: passkeyId };
}
