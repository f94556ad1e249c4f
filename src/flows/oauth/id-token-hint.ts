import { ID_TOKEN_SIGNING_ALGORITHM } from '../../crypto/signing-keys.js';
import type { FlowDeps } from '../deps.js';
import { ID_TOKEN_TYP } from './tokens.js';

/** What a verified `id_token_hint` says: who it was issued about, to whom, and in which browser session. */
export interface IdTokenHint {
  subject: string;
  /** The `aud` (this server issues ID tokens to one client: its publishable key). */
  clientId: string;
  /** The `sid` (the browser's login session), when the token had one. */
  sessionId: string | undefined;
}

/**
 * Verifies an ID token this server issued, given back as `id_token_hint` (OpenID Connect Core
 * §3.1.2.1; RP-Initiated Logout 1.0 §2). Its signature and issuer must hold; an expired one is still
 * a good hint — both specifications expect relying parties to send ID tokens older than their `exp`,
 * and a hint grants nothing by itself. Undefined when it is not one of ours.
 */
export async function verifyIdTokenHint(deps: FlowDeps, token: string): Promise<IdTokenHint | undefined> {
  try {
    const payload = await deps.keyring.verify(token, {
      issuer: deps.issuer,
      typ: ID_TOKEN_TYP,
      algorithms: [ID_TOKEN_SIGNING_ALGORITHM],
      requiredClaims: ['sub', 'aud'],
      // A hint is about who, not about now: a long-expired ID token still names its person.
      clockTolerance: Number.MAX_SAFE_INTEGER,
    });
    const audience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
    if (typeof payload.sub !== 'string' || typeof audience !== 'string') return undefined;
    return { subject: payload.sub, clientId: audience, sessionId: typeof payload.sid === 'string' ? payload.sid : undefined };
  } catch {
    return undefined;
  }
}
