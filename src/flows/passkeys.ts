import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { generateId } from '../crypto/random.js';
import { Forbidden, NotFound, PasskeyRegistrationFailed } from '../protocol/errors.js';
import { PASSKEY_CHALLENGE_TTL_SECONDS } from '../protocol/webauthn.js';
import { UniqueConflict, type Application, type Consumer, type Passkey } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import { findApplicationByPublishableKey } from './applications.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import { refuseDisabled } from './consumer-status.js';
import type { FlowDeps } from './deps.js';
import { requireStepUp, type StepUpProof } from './step-up.js';
import { burnChallenge, expectedOrigins, issueChallenge, readAnsweredChallenge } from './passkey-ceremony.js';
import type { BearerPrincipal } from './oauth/tokens.js';
import { notifySecurityChange } from './security-notices.js';

/**
 * A signed-in person managing their passkeys (SPEC §12), and the application they came through —
 * whose origins a registration may come from, and to which its challenge is bound.
 */
export interface PasskeyHolder {
  consumer: Consumer;
  application: Application;
}

/** A passkey as the APIs show it: never its public key. */
export interface PasskeyView {
  id: string;
  name: string;
  credentialId: string;
  deviceType: Passkey['deviceType'];
  backedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export function describePasskey(passkey: Passkey): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    credentialId: passkey.credentialId,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    transports: passkey.transports,
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

/**
 * The holder a sign-in of `consumerId` through `applicationId` makes — for the token-based routes
 * below and for a hosted page's browser session alike. 403 when either is gone or disabled.
 */
export async function passkeyHolder(deps: FlowDeps, consumerId: string, applicationId: string): Promise<PasskeyHolder> {
  const [consumer, stored] = await Promise.all([deps.store.getConsumer(consumerId), deps.store.getApplication(applicationId)]);
  // The token was live a moment ago; its application or consumer went since (disabled, erased).
  const application = stored && (await findApplicationByPublishableKey(deps, stored.publishableKey));
  if (!consumer || !application) throw new Forbidden('this sign-in can no longer manage passkeys');
  refuseDisabled(consumer);
  return { consumer, application };
}

/** SPEC §12 (consumer API): the holder a consumer access token speaks for; a guest has no passkeys (403). */
export function holderOfConsumerToken(deps: FlowDeps, principal: ConsumerPrincipal): Promise<PasskeyHolder> {
  if (principal.sessionType !== 'authenticated') throw new Forbidden('a guest session cannot register passkeys; sign in first');
  return passkeyHolder(deps, principal.consumerId, principal.applicationId);
}

/** SPEC §12 (API mode): the holder a login token (SPEC §6.2) speaks for. */
export function holderOfLoginToken(deps: FlowDeps, principal: BearerPrincipal): Promise<PasskeyHolder> {
  const session = principal.session;
  if (principal.kind !== 'login' || !session) throw new Forbidden('passkeys are managed with a login token');
  return passkeyHolder(deps, session.consumerId, session.applicationId);
}

/** What `…/registration/options` answers: the options for `navigator.credentials.create()` and when they expire. */
export interface PasskeyRegistrationOptions {
  options: PublicKeyCredentialCreationOptionsJSON;
  expiresAt: string;
}

/**
 * SPEC §12: options to register a passkey for a signed-in person — a discoverable credential
 * (residentKey required, so it signs in without a username), user verification preferred, no
 * attestation (Latchkey trusts no authenticator model more than another), the person's passkeys
 * excluded (WebAuthn L3 §5.4.3: the same authenticator is not registered twice) — and a challenge
 * bound to the person and the application, single use for 5 minutes.
 */
export async function passkeyRegistrationOptions(deps: FlowDeps, holder: PasskeyHolder): Promise<PasskeyRegistrationOptions> {
  const { consumer, application } = holder;
  const [organization, passkeys] = await Promise.all([deps.store.getOrganization(application.organizationId), deps.store.listPasskeys(consumer.id)]);
  const challenge = await issueChallenge(deps, application, 'registration', consumer.id);
  const userName = consumer.email ?? consumer.phone ?? consumer.id;
  const options = await generateRegistrationOptions({
    rpName: organization?.branding.displayName ?? organization?.name ?? application.name,
    rpID: deps.webauthnRpId,
    // WebAuthn L3 §5.4.3: the user handle is an opaque id, no personal data: the consumer id.
    userID: new Uint8Array(Buffer.from(consumer.id, 'utf8')),
    userName,
    userDisplayName: consumer.fullName ?? userName,
    challenge: challenge.bytes,
    timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    // EdDSA, ES256, RS256 (COSE -8, -7, -257): what platform authenticators and security keys make;
    // named here so a library update cannot change what is registered.
    supportedAlgorithmIDs: [-8, -7, -257],
  });
  return { options, expiresAt: challenge.expiresAt };
}

/**
 * SPEC §12: verifies a registration (WebAuthn L3 §7.1 through @simplewebauthn/server: type,
 * challenge, origin, RP ID hash, UP flag, attestation `none`, algorithm) and stores the passkey
 * with its counter, transports and backup flags — one transaction with the challenge's consumption.
 * A response that does not verify burns the challenge; a credential registered already is refused
 * (§7.1 step 26).
 */
export async function registerPasskey(deps: FlowDeps, holder: PasskeyHolder, input: { response: RegistrationResponseJSON; name?: string; proof?: StepUpProof }): Promise<PasskeyView> {
  const { consumer, application } = holder;
  // A passkey with user verification needs no second factor: it takes the one the person has.
  await requireStepUp(deps, application, consumer, input.proof, 'passkey_registration');
  const challenge = await readAnsweredChallenge(deps, application, input.response.response.clientDataJSON, 'registration', consumer.id);
  const fail = async (reason: string, cause?: unknown) => {
    await burnChallenge(deps, application, 'registration', challenge);
    await deps.audit.record('passkey.registration_failed', application.organizationId, { consumerId: consumer.id, applicationId: application.id, reason });
    return new PasskeyRegistrationFailed(reason === 'already_registered' ? 'this passkey is registered already' : 'the passkey registration did not verify', { cause });
  };
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge.value,
      expectedOrigin: expectedOrigins(deps, application),
      expectedRPID: deps.webauthnRpId,
      requireUserVerification: false,
    });
  } catch (error) {
    throw await fail('rejected', error);
  }
  if (!verification.verified) throw await fail('rejected');
  const info = verification.registrationInfo;
  const now = deps.clock.now();
  const passkey: Passkey = {
    id: generateId('pkey_', now),
    organizationId: consumer.organizationId,
    consumerId: consumer.id,
    credentialId: info.credential.id,
    publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
    signCount: info.credential.counter,
    transports: info.credential.transports ?? [],
    // WebAuthn L3 §6.1.3: BE is fixed for a credential's life; `multiDevice` is what the library calls it.
    backupEligible: info.credentialDeviceType === 'multiDevice',
    backedUp: info.credentialBackedUp,
    deviceType: info.credentialDeviceType,
    aaguid: info.aaguid,
    name: input.name ?? 'Passkey',
    createdAt: now,
    lastUsedAt: null,
  };
  const event = deps.audit.prepare('passkey.registered', application.organizationId, {
    consumerId: consumer.id, passkeyId: passkey.id, applicationId: application.id, deviceType: passkey.deviceType, userVerified: info.userVerified,
  });
  let registered: boolean;
  try {
    registered = await deps.store.registerPasskey({ challengeHash: challenge.hash, applicationId: application.id, now }, passkey, [event]);
  } catch (error) {
    if (error instanceof UniqueConflict) throw await fail('already_registered', error);
    throw error;
  }
  if (!registered) throw await fail('challenge_used');
  deps.audit.committed([event]);
  notifySecurityChange(deps, consumer, 'passkey_added');
  return describePasskey(passkey);
}

/** SPEC §12: the person's passkeys, oldest first. */
export async function listPasskeys(deps: FlowDeps, consumer: Consumer): Promise<PasskeyView[]> {
  return (await deps.store.listPasskeys(consumer.id)).map(describePasskey);
}

const unknownPasskey = () => new NotFound('no such passkey');

/** SPEC §12: renames one of the person's passkeys; 404 for another's or an unknown id. */
export async function renamePasskey(deps: FlowDeps, holder: PasskeyHolder, passkeyId: string, name: string): Promise<PasskeyView> {
  const renamed = await deps.store.renamePasskey(passkeyId, holder.consumer.id, name);
  if (!renamed) throw unknownPasskey();
  await deps.audit.record('passkey.renamed', holder.consumer.organizationId, { consumerId: holder.consumer.id, passkeyId, applicationId: holder.application.id });
  return describePasskey(renamed);
}

/**
 * SPEC §12 / §10: removes a passkey of the consumer — by the person (`via` their application) or
 * by an operator (`actor`); 404 for another's or an unknown id.
 */
export async function removePasskey(deps: FlowDeps, consumer: Consumer, passkeyId: string, by: { application: Application } | { actor: AuditActor }): Promise<void> {
  if (!(await deps.store.deletePasskey(passkeyId, consumer.id))) throw unknownPasskey();
  const data = { consumerId: consumer.id, passkeyId };
  await deps.audit.record('passkey.removed', consumer.organizationId, 'actor' in by ? withActor(data, by.actor) : { ...data, applicationId: by.application.id });
  notifySecurityChange(deps, consumer, 'passkey_removed');
}
