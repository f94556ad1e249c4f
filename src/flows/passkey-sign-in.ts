import { generateAuthenticationOptions, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { maskDestination } from '../protocol/contacts.js';
import { PASSKEY_CHALLENGE_TTL_SECONDS } from '../protocol/webauthn.js';
import type { Application, Consumer, PasskeyRedemption, SignInWrites } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { passkeyIdentity } from './first-factor.js';
import { answerSignIn, planVerifiedSignIn, readSentGuest, signInConflictError, type PlannedSignIn } from './identity-sign-in.js';
import { proveSecondFactor, type LoginResult, type LoginSecondFactor } from './login.js';
import { answerLoginSession, loginSessionWrites, newLoginSession } from './login-session.js';
import { settingsOf } from './organization-settings.js';
import { challengeRefused, issueChallenge, refuseAssertion, verifyAssertion, type VerifiedAssertion } from './passkey-ceremony.js';
import { issueSecondFactorChallenge, type SecondFactorRequired } from './second-factor-challenge.js';
import { needsSecondFactor, secondFactorsFor } from './second-factor-rule.js';
import type { AuthSession } from './sessions.js';

/** What `…/passkey/options` answers: the options for `navigator.credentials.get()` and when they expire. */
export interface PasskeySignInOptions {
  options: PublicKeyCredentialRequestOptionsJSON;
  expiresAt: string;
}

/**
 * SPEC §12: options for a sign-in with a discoverable credential — no `allowCredentials` (the
 * authenticator offers the person's passkeys for the RP ID; conditional UI can list them), user
 * verification preferred — and their challenge, single use for 5 minutes, for this application.
 */
export async function passkeySignInOptions(deps: FlowDeps, application: Application): Promise<PasskeySignInOptions> {
  const challenge = await issueChallenge(deps, application, 'authentication', null);
  const options = await generateAuthenticationOptions({
    rpID: deps.webauthnRpId, challenge: challenge.bytes, allowCredentials: [], userVerification: 'preferred', timeout: PASSKEY_CHALLENGE_TTL_SECONDS * 1000,
  });
  return { options, expiresAt: challenge.expiresAt };
}

/**
 * Redeems a verified assertion (issue 12.1): the challenge's consumption, the passkey's counter,
 * backup state and last use, and the writes `signIn` plans commit in one transaction. A counter
 * that another use moved past this one meanwhile is refused as stale; a challenge another request
 * redeemed meanwhile, as used. Every passkey sign-in of the APIs ends here (the hosted pages' too, once they offer passkeys).
 */
export async function redeemAssertion(
  deps: FlowDeps,
  application: Application,
  verified: VerifiedAssertion,
  signIn: (owner: Consumer) => SignInWrites,
): Promise<Extract<PasskeyRedemption, { outcome: 'signed_in' }>> {
  const { challenge, passkey } = verified;
  const redemption = await deps.store
    .redeemPasskeyAssertion(
      { challengeHash: challenge.hash, applicationId: application.id, now: deps.clock.now() },
      { passkeyId: passkey.id, signCount: verified.signCount, backedUp: verified.backedUp },
      signIn,
    )
    .catch((error: unknown) => Promise.reject(signInConflictError(error)));
  if (redemption.outcome === 'stale_counter') throw await refuseAssertion(deps, application, challenge, 'stale_counter', { passkey });
  // Redeemed by a request that raced this one between the check and the consumption: nothing to audit.
  if (redemption.outcome === 'challenge_unavailable') throw challengeRefused();
  return redemption;
}

/** The `passkey.used` event of a verified assertion. */
function usedEvent(deps: FlowDeps, application: Application, verified: VerifiedAssertion) {
  return deps.audit.prepare('passkey.used', application.organizationId, {
    consumerId: verified.passkey.consumerId, passkeyId: verified.passkey.id, applicationId: application.id, userVerified: verified.isUserVerified,
  });
}

/**
 * SPEC §12 (consumer API): a passkey signs its consumer in and answers an AuthSession exactly as
 * `/auth/otp/verify` does — the guest sent along is absorbed (SPEC §5.4: the passkey's consumer
 * already exists), written with the challenge's consumption. An assertion without user
 * verification is one factor: a consumer with a second factor gets the pending answer of
 * `/auth/otp/verify` instead, and completes with `/auth/second-factor/*`.
 */
export async function signInWithPasskey(
  deps: FlowDeps,
  application: Application,
  response: AuthenticationResponseJSON,
  guest: ConsumerPrincipal | undefined,
): Promise<AuthSession | SecondFactorRequired> {
  const settings = await settingsOf(deps, application);
  const sentGuest = await readSentGuest(deps, guest);
  const verified = await verifyAssertion(deps, application, response);
  const used = usedEvent(deps, application, verified);
  let planned: PlannedSignIn | { secondFactorFor: Consumer } | undefined;
  const redeemed = await redeemAssertion(deps, application, verified, (owner) => {
    // SPEC §12: user verification is the second factor a passkey carries; without it, the one the person set is due.
    if (needsSecondFactor(owner, { via: 'passkey', userVerified: verified.isUserVerified })) {
      planned = { secondFactorFor: owner };
      return { auditEvents: [used] };
    }
    planned = planVerifiedSignIn(deps, application, settings, { identity: passkeyIdentity(verified.passkey.id), owner, fields: {}, guest: sentGuest }, [used]);
    return planned.writes;
  });
  if (!planned) throw new Error('a verified passkey planned no sign-in');
  if ('secondFactorFor' in planned) {
    deps.audit.committed([used]);
    return issueSecondFactorChallenge(deps, application, planned.secondFactorFor, { via: 'passkey', userVerified: false }, guest);
  }
  deps.audit.committed(planned.writes.auditEvents ?? []);
  return answerSignIn(deps, application, settings, planned, redeemed.signedIn);
}

/**
 * SPEC §12 (API mode): a passkey gives a login token, answered exactly as `/v1/auth/login` answers.
 * Without user verification a person with an SMS second factor gets `isOtpRequired: true` (SPEC
 * §6.2): the code is sent by `/v1/auth/login/otp`, and a new assertion comes back with `otpCode` —
 * as a password is sent again with it. The login session then commits with the code's consumption.
 */
export async function loginWithPasskey(deps: FlowDeps, application: Application, input: { response: AuthenticationResponseJSON } & LoginSecondFactor): Promise<LoginResult> {
  const verified = await verifyAssertion(deps, application, input.response);
  const used = usedEvent(deps, application, verified);
  const factors = secondFactorsFor(verified.consumer, { via: 'passkey', userVerified: verified.isUserVerified });
  const started = newLoginSession(deps, application, verified.consumer.id);
  const { owner } = await redeemAssertion(deps, application, verified, () =>
    factors.length > 0 ? { auditEvents: [used] } : { ...loginSessionWrites(started), auditEvents: [used, started.auditEvent] },
  );
  const phoneNumber = owner.phone ? maskDestination(owner.phone) : null;
  if (factors.length === 0) {
    deps.audit.committed([used, started.auditEvent]);
    return { accessToken: await answerLoginSession(deps, application, started), userId: owner.id, isOtpRequired: false, phoneNumber };
  }
  deps.audit.committed([used]);
  // The same second-factor step as after a password (SPEC §6.2, §12): SMS, app code or recovery code.
  if (await proveSecondFactor(deps, application, owner, factors, input, started)) {
    return { accessToken: await answerLoginSession(deps, application, started), userId: owner.id, isOtpRequired: false, phoneNumber };
  }
  await deps.audit.record('login.second_factor_required', application.organizationId, { consumerId: owner.id, applicationId: application.id, via: 'passkey', factors });
  return { accessToken: null, userId: owner.id, isOtpRequired: true, phoneNumber, secondFactors: factors };
}

/**
 * SPEC §7, §12 (hosted login page): a passkey opens a login session for the browser, written with
 * the challenge's consumption — or, without user verification and with a second factor set, names
 * the person whose second factor is due (the hosted second-factor page follows), as an emailed code
 * does (loginWithEmailCode). No guest linking: the hosted pages have no guest.
 */
export async function loginWithPasskeyHosted(
  deps: FlowDeps,
  application: Application,
  response: AuthenticationResponseJSON,
): Promise<{ loginToken: string } | { secondFactorFor: Consumer }> {
  const verified = await verifyAssertion(deps, application, response);
  const used = usedEvent(deps, application, verified);
  const started = newLoginSession(deps, application, verified.consumer.id);
  let isSecondFactorDue = false as boolean;
  const { owner } = await redeemAssertion(deps, application, verified, (owner) => {
    // SPEC §12: user verification is the second factor a passkey carries; without it, the one the person set is due.
    isSecondFactorDue = needsSecondFactor(owner, { via: 'passkey', userVerified: verified.isUserVerified });
    return isSecondFactorDue ? { auditEvents: [used] } : { ...loginSessionWrites(started), auditEvents: [used, started.auditEvent] };
  });
  if (isSecondFactorDue) {
    deps.audit.committed([used]);
    const factors = secondFactorsFor(owner, { via: 'passkey', userVerified: false });
    await deps.audit.record('login.second_factor_required', application.organizationId, { consumerId: owner.id, applicationId: application.id, via: 'passkey', factors });
    return { secondFactorFor: owner };
  }
  deps.audit.committed([used, started.auditEvent]);
  return { loginToken: await answerLoginSession(deps, application, started) };
}
