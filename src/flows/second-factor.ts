import { BadRequest, InvalidSecondFactorToken } from '../protocol/errors.js';
import { SignInConflict, type Application, type Consumer, type ExternalIdentity } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { isInPool } from './environments.js';
import {
  answerSignIn, guestGone, LATCHKEY_IDENTITY_ISSUER, planVerifiedSignIn, readSentGuest, signInConflictError, type PlannedSignIn, type VerifiedFields,
} from './identity-sign-in.js';
import { settingsOf } from './organization-settings.js';
import { identityOf, redeemCode, requestOtp, verifiedFieldsOf } from './otp.js';
import { challengeSpending, invalidChallenge, readSecondFactorChallenge, type SecondFactorChallenge } from './second-factor-challenge.js';
import { secondFactorsFor, type FirstFactor, type SecondFactorKind } from './second-factor-rule.js';
import { redeemTotpProof, type TotpProof } from './totp-proof.js';
import type { AuthSession } from './sessions.js';

/** The consumer a challenge names, still of this organization. */
async function challengedConsumer(deps: FlowDeps, application: Application, challenge: SecondFactorChallenge): Promise<Consumer> {
  const consumer = await deps.store.getConsumer(challenge.consumerId);
  if (!consumer || !isInPool(consumer, application)) throw signInAgain();
  return consumer;
}

const signInAgain = () => new InvalidSecondFactorToken('this sign-in can no longer be completed; sign in again');

/** The factors that can complete the challenge now (the person may have changed them meanwhile); none left → sign in again. */
function factorsOf(consumer: Consumer, challenge: SecondFactorChallenge): SecondFactorKind[] {
  const factors = secondFactorsFor(consumer, challenge.firstFactor);
  if (factors.length === 0) throw signInAgain();
  return factors;
}

/** The identity a first factor proved, and the fields it fills: an email or phone code's; a passkey or password proves no address. */
function proven(first: FirstFactor, consumer: Consumer): { identity: ExternalIdentity; fields: VerifiedFields; isLookedUp: boolean } {
  if (first.via === 'otp') return { identity: identityOf(first), fields: verifiedFieldsOf(first), isLookedUp: true };
  return { identity: { provider: first.via, issuer: LATCHKEY_IDENTITY_ISSUER, subject: consumer.id }, fields: {}, isLookedUp: false };
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
 * budgets of every OTP (SPEC §5.4, issue 11.6). 400 when SMS cannot complete this sign-in.
 */
export async function requestSecondFactorCode(deps: FlowDeps, application: Application, token: string): Promise<void> {
  const challenge = await readSecondFactorChallenge(deps, application, token);
  const consumer = await challengedConsumer(deps, application, challenge);
  if (!factorsOf(consumer, challenge).includes('sms')) throw new BadRequest(NOT_SMS);
  await requestOtp(deps, application, { channel: 'sms', destination: consumer.phone! });
}

const NOT_SMS = 'an SMS code cannot complete this sign-in: send the authenticator-app code (totpCode) or a recovery code (recoveryCode)';
const NOT_TOTP = 'this account has no authenticator app: send the SMS code (code)';

/** What completes a pending sign-in: the SMS code, an authenticator-app code, or a recovery code (exactly one). */
export type SecondFactorAnswer = { code: string } | TotpProof;

/**
 * SPEC §12: completes a pending sign-in with a second factor and returns the session that the first
 * factor alone did not give. One transaction (issue 12.1) verifies the SMS code, or spends the TOTP
 * time step or recovery code — a wrong one commits only the attempt and leaves the challenge usable —
 * then spends the challenge (exactly one caller wins), links the guest sent with the first factor —
 * or with this request — as SPEC §5.4 says, and starts the session: all of it commits, or none.
 */
export async function verifySecondFactor(
  deps: FlowDeps,
  application: Application,
  input: { token: string } & SecondFactorAnswer,
  sentGuest: ConsumerPrincipal | undefined,
): Promise<AuthSession> {
  const challenge = await readSecondFactorChallenge(deps, application, input.token);
  const consumer = await challengedConsumer(deps, application, challenge);
  const factors = factorsOf(consumer, challenge);
  if ('code' in input ? !factors.includes('sms') : !factors.includes('totp')) throw new BadRequest('code' in input ? NOT_SMS : NOT_TOTP);
  const guest = await readSentGuest(deps, challenge.guestSessionId ? await recordedGuest(deps, application, challenge.guestSessionId) : sentGuest);
  const settings = await settingsOf(deps, application);
  const { identity, fields, isLookedUp } = proven(challenge.firstFactor, consumer);
  const verifiedEvent = (factor: string) =>
    deps.audit.prepare('login.second_factor_verified', application.organizationId, { consumerId: consumer.id, applicationId: application.id, factor });
  const spentChallenge = (error: unknown) => Promise.reject(error instanceof SignInConflict && error.reason === 'token_spent' ? invalidChallenge() : error);
  let planned: PlannedSignIn | undefined;
  if ('code' in input) {
    const redeemed = await redeemCode(deps, application, { channel: 'sms', destination: consumer.phone!, code: input.code }, isLookedUp ? identity : null, ({ owner }) => {
      if (isLookedUp && owner?.id !== consumer.id) throw signInAgain();
      planned = planVerifiedSignIn(deps, application, settings, { identity, owner: consumer, fields, guest }, [verifiedEvent('sms')]);
      return { spentTokenId: challengeSpending(application, challenge), ...planned.writes };
    }).catch(spentChallenge);
    return answerSignIn(deps, application, settings, planned!, redeemed.signedIn);
  }
  const proof: TotpProof = 'totpCode' in input ? { totpCode: input.totpCode } : { recoveryCode: input.recoveryCode };
  const factor = 'totpCode' in proof ? 'totp' : 'recovery_code';
  const redeemed = await redeemTotpProof(deps, consumer, proof, 'sign_in', () => {
    planned = planVerifiedSignIn(deps, application, settings, { identity, owner: consumer, fields, guest }, [verifiedEvent(factor)]);
    return { spentTokenId: challengeSpending(application, challenge), ...planned.writes };
  }, { applicationId: application.id })
    .catch(spentChallenge)
    .catch((error: unknown) => Promise.reject(signInConflictError(error)));
  return answerSignIn(deps, application, settings, planned!, redeemed.signedIn);
}
