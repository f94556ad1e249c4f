import { randomBytes } from 'node:crypto';
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers';
import { hashSecret } from '../crypto/hash.js';
import { SECRET_BYTES } from '../crypto/random.js';
import { PasskeyChallengeInvalid, PasskeyInvalid } from '../protocol/errors.js';
import { isSignCounterStale, PASSKEY_CHALLENGE_TTL_SECONDS, passkeyOrigins } from '../protocol/webauthn.js';
import type { Application, Consumer, Passkey, WebAuthnChallenge } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { refuseDisabled } from './consumer-status.js';
import { isInPool } from './environments.js';

// The parts every passkey ceremony shares (SPEC §12): its single-use challenge and the checks of
// WebAuthn L3 §7.1 / §7.2 that @simplewebauthn/server runs with Latchkey's expectations.

/** A fresh challenge, stored (as its SHA-256) for one ceremony of `application`. */
export interface IssuedChallenge {
  /** The random bytes the options carry (base64url on the wire). */
  bytes: Uint8Array<ArrayBuffer>;
  expiresAt: string;
}

/**
 * WebAuthn L3 §13.4.3: a challenge of at least 16 random bytes, made by the server and used once —
 * here 32 bytes from node:crypto, alive PASSKEY_CHALLENGE_TTL_SECONDS, bound to the application and
 * the ceremony (`registration` for `consumerId`, or `authentication`).
 */
export async function issueChallenge(deps: FlowDeps, application: Application, purpose: WebAuthnChallenge['purpose'], consumerId: string | null): Promise<IssuedChallenge> {
  const now = deps.clock.now();
  const bytes = new Uint8Array(randomBytes(SECRET_BYTES));
  const expiresAt = now + PASSKEY_CHALLENGE_TTL_SECONDS * 1000;
  await deps.store.createWebAuthnChallenge({
    challengeHash: hashSecret(Buffer.from(bytes).toString('base64url')), organizationId: application.organizationId, applicationId: application.id, purpose, consumerId,
    createdAt: now, expiresAt, consumedAt: null,
  });
  return { bytes, expiresAt: new Date(expiresAt).toISOString() };
}

/** The origins a ceremony of `application` may come from (the issuer's, and the application's passkey origins). */
export function expectedOrigins(deps: FlowDeps, application: Application): string[] {
  return passkeyOrigins(deps.issuer, application.passkeyOrigins);
}

/** The answer to a challenge that cannot be used (unknown, used, expired, foreign, of the other ceremony). */
export const challengeRefused = () => new PasskeyChallengeInvalid('the passkey challenge is unknown, expired or already used, or was issued for another ceremony; ask for new options');

/** The challenge a response answers, as `clientDataJSON` names it (decoded by the library), and its hash. */
export interface AnsweredChallenge {
  value: string;
  hash: string;
}

/**
 * Finds the challenge a ceremony's response answers and checks, before any signature work, that it
 * is usable: issued to this application for this ceremony (and this consumer, for a registration),
 * unused and unexpired. The single-use consumption happens later, in the transaction that writes
 * what the ceremony creates; this only refuses early.
 */
export async function readAnsweredChallenge(
  deps: FlowDeps,
  application: Application,
  clientDataJSON: string,
  purpose: WebAuthnChallenge['purpose'],
  consumerId: string | null,
): Promise<AnsweredChallenge> {
  // Issue 18: every failure is an audit event, a refused challenge too.
  const refused = async (error: PasskeyChallengeInvalid) => {
    const event = purpose === 'registration' ? 'passkey.registration_failed' : 'passkey.sign_in_failed';
    await deps.audit.record(event, application.organizationId, { applicationId: application.id, ...(consumerId ? { consumerId } : {}), reason: 'challenge_refused' });
    return error;
  };
  let value: string;
  try {
    value = decodeClientDataJSON(clientDataJSON).challenge;
  } catch (error) {
    throw await refused(new PasskeyChallengeInvalid('clientDataJSON could not be read', { cause: error }));
  }
  if (typeof value !== 'string' || value === '') throw await refused(challengeRefused());
  const hash = hashSecret(value);
  const found = await deps.store.findWebAuthnChallenge(hash);
  const isUsable =
    found !== undefined && found.applicationId === application.id && found.purpose === purpose && found.consumerId === consumerId &&
    found.consumedAt === null && found.expiresAt > deps.clock.now();
  if (!isUsable) throw await refused(challengeRefused());
  return { value, hash };
}

/** Burns a challenge whose response failed verification: a challenge gets one answer (SPEC §4 single use). */
export async function burnChallenge(deps: FlowDeps, application: Application, purpose: WebAuthnChallenge['purpose'], challenge: AnsweredChallenge): Promise<void> {
  await deps.store.consumeWebAuthnChallenge({ challengeHash: challenge.hash, applicationId: application.id, purpose, now: deps.clock.now() });
}

/** An assertion that verified, not yet recorded: the passkey, its consumer and what the authenticator said. */
export interface VerifiedAssertion {
  challenge: AnsweredChallenge;
  passkey: Passkey;
  consumer: Consumer;
  signCount: number;
  /** The UV flag: the authenticator verified the person (PIN, biometrics), not only their presence. */
  isUserVerified: boolean;
  backedUp: boolean;
}

type SignInFailure = 'unknown_credential' | 'bad_signature' | 'rejected' | 'stale_counter';

/** Records a refused passkey sign-in, burns its challenge, and returns the error to answer. */
export async function refuseAssertion(
  deps: FlowDeps,
  application: Application,
  challenge: AnsweredChallenge,
  reason: SignInFailure,
  details: { passkey?: Passkey; cause?: unknown } = {},
): Promise<PasskeyInvalid> {
  await burnChallenge(deps, application, 'authentication', challenge);
  const detail = details.cause instanceof Error ? details.cause.message.slice(0, 300) : undefined;
  await deps.audit.record('passkey.sign_in_failed', application.organizationId, {
    applicationId: application.id, reason,
    ...(details.passkey ? { consumerId: details.passkey.consumerId, passkeyId: details.passkey.id } : {}),
    ...(detail ? { detail } : {}),
  });
  const message = {
    unknown_credential: 'this passkey is not registered here',
    bad_signature: 'the passkey signature did not verify',
    rejected: 'the passkey response was refused (origin, relying party, type or format)',
    stale_counter: 'the passkey signature counter went backwards: this authenticator may have been cloned',
  }[reason];
  return new PasskeyInvalid(message, { cause: details.cause });
}

/**
 * WebAuthn L3 §7.2 for a discoverable credential (SPEC §12): the challenge must be this
 * application's `authentication` challenge, unused and unexpired; the credential one registered in
 * the application's pool (SPEC §1); then @simplewebauthn/server checks the type, challenge, origin
 * (the issuer's, or one the application lists), RP ID hash, UP flag and signature. The counter is
 * checked here, after the signature (the library would check it first and say nothing of a
 * signature it did not verify): a stale one is a clone only if the signature is right. Every
 * refusal burns the challenge and is audited.
 */
export async function verifyAssertion(deps: FlowDeps, application: Application, response: AuthenticationResponseJSON): Promise<VerifiedAssertion> {
  const challenge = await readAnsweredChallenge(deps, application, response.response.clientDataJSON, 'authentication', null);
  const passkey = await deps.store.findPasskeyByCredentialId(response.id);
  const consumer = passkey && (await deps.store.getConsumer(passkey.consumerId));
  // Another environment's passkey is unknown here (SPEC §1), as an unregistered one is.
  if (!passkey || !consumer || !isInPool(consumer, application)) throw await refuseAssertion(deps, application, challenge, 'unknown_credential');
  // WebAuthn L3 §7.2 step 6: the user handle a discoverable credential returns names the account
  // the credential was registered for — the consumer id (passkeys.ts, registration options).
  const userHandle = response.response.userHandle;
  if (userHandle && userHandle !== Buffer.from(passkey.consumerId, 'utf8').toString('base64url')) {
    throw await refuseAssertion(deps, application, challenge, 'rejected', { passkey, cause: new Error('the user handle does not name the owner of this credential') });
  }
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.value,
      expectedOrigin: expectedOrigins(deps, application),
      expectedRPID: deps.webauthnRpId,
      // Counter 0: the library then skips its own counter check, which runs before the signature
      // check; isSignCounterStale applies the same rule below, to a verified counter.
      credential: { id: passkey.credentialId, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter: 0, transports: passkey.transports as never },
      // SPEC §12: UV is not required; without it a person who has a second factor must still give it.
      requireUserVerification: false,
    });
  } catch (error) {
    throw await refuseAssertion(deps, application, challenge, 'rejected', { passkey, cause: error });
  }
  if (!verification.verified) throw await refuseAssertion(deps, application, challenge, 'bad_signature', { passkey });
  const info = verification.authenticationInfo;
  if (isSignCounterStale(passkey.signCount, info.newCounter)) throw await refuseAssertion(deps, application, challenge, 'stale_counter', { passkey });
  if (consumer.disabledAt !== null) {
    // SPEC §10: said only to whoever holds the passkey; the challenge is spent.
    await burnChallenge(deps, application, 'authentication', challenge);
    refuseDisabled(consumer);
  }
  return { challenge, passkey, consumer, signCount: info.newCounter, isUserVerified: info.userVerified, backedUp: info.credentialBackedUp };
}
