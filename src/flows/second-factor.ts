import { InvalidSecondFactorToken } from '../protocol/errors.js';
import { SignInConflict, type Application, type Consumer } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { isInPool } from './environments.js';
import { answerSignIn, guestGone, planVerifiedSignIn, readSentGuest, type PlannedSignIn } from './identity-sign-in.js';
import { settingsOf } from './organization-settings.js';
import { firstFactorProof } from './first-factor.js';
import { redeemCode, requestOtp } from './otp.js';
import { challengeSpending, invalidChallenge, readSecondFactorChallenge, type SecondFactorChallenge } from './second-factor-challenge.js';
import type { AuthSession } from './sessions.js';

/** The consumer a challenge names, still of this organization and still with a phone to send to. */
async function challengedConsumer(deps: FlowDeps, application: Application, challenge: SecondFactorChallenge): Promise<Consumer & { phone: string }> {
  const consumer = await deps.store.getConsumer(challenge.consumerId);
  if (!consumer?.phone || !isInPool(consumer, application)) {
    throw new InvalidSecondFactorToken('this sign-in can no longer be completed; sign in again');
  }
  return consumer as Consumer & { phone: string };
}

/** The guest sent along with the first factor, if its session is still live (else it was linked elsewhere). */
async function recordedGuest(deps: FlowDeps, application: Application, sessionId: string): Promise<ConsumerPrincipal> {
  const session = await deps.store.getSession(sessionId);
  if (!session || session.revokedAt !== null || session.kind !== 'consumer' || session.type !== 'guest' || session.applicationId !== application.id) {
    throw guestGone();
  }
  return { consumerId: session.consumerId, sessionId: session.id, organizationId: session.organizationId, applicationId: session.applicationId, sessionType: 'guest' };
}

/**
 * SPEC §12: sends the SMS code of a pending sign-in to the consumer's phone — with the cooldown and
 * budgets of every OTP (SPEC §5.4, issue 11.6).
 */
export async function requestSecondFactorCode(deps: FlowDeps, application: Application, token: string): Promise<void> {
  const consumer = await challengedConsumer(deps, application, await readSecondFactorChallenge(deps, application, token));
  await requestOtp(deps, application, { channel: 'sms', destination: consumer.phone });
}

/**
 * SPEC §12: completes a pending sign-in with the SMS code and returns the session that the first
 * factor alone did not give. One transaction (issue 12.1) verifies the code — a wrong one commits
 * only the attempt and leaves the challenge usable — then spends the challenge (exactly one caller
 * wins), links the guest sent with the first factor — or with this request — as SPEC §5.4 says, and
 * starts the session: all of it commits, or none.
 */
export async function verifySecondFactor(
  deps: FlowDeps,
  application: Application,
  input: { token: string; code: string },
  sentGuest: ConsumerPrincipal | undefined,
): Promise<AuthSession> {
  const challenge = await readSecondFactorChallenge(deps, application, input.token);
  const consumer = await challengedConsumer(deps, application, challenge);
  const guest = await readSentGuest(deps, challenge.guestSessionId ? await recordedGuest(deps, application, challenge.guestSessionId) : sentGuest);
  const settings = await settingsOf(deps, application);
  const proof = firstFactorProof(challenge.verified);
  let planned: PlannedSignIn | undefined;
  const redeemed = await redeemCode(deps, application, { channel: 'sms', destination: consumer.phone, code: input.code }, proof.lookup, ({ owner: found }) => {
    // SPEC §12: a passkey first factor names its consumer itself (the challenge's); a code, its address's.
    const owner = proof.lookup ? found : consumer;
    if (owner?.id !== consumer.id) throw new InvalidSecondFactorToken('this sign-in can no longer be completed; sign in again');
    const verified = deps.audit.prepare('login.second_factor_verified', application.organizationId, { consumerId: consumer.id, applicationId: application.id });
    planned = planVerifiedSignIn(deps, application, settings, { identity: proof.identity, owner, fields: proof.fields, guest }, [verified]);
    return { spentTokenId: challengeSpending(application, challenge), ...planned.writes };
  }).catch((error: unknown) => Promise.reject(error instanceof SignInConflict && error.reason === 'token_spent' ? invalidChallenge() : error));
  return answerSignIn(deps, application, settings, planned!, redeemed.signedIn);
}
