import { BadRequest, OtpExpired, OtpInvalid, StepUpRequired } from '../protocol/errors.js';
import type { Application, Consumer } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { attemptCode } from './otp.js';
import { secondFactorsFor, type SecondFactorKind } from './second-factor-rule.js';
import { redeemTotpProof } from './totp-proof.js';

/** A current proof of the person's second factor: the SMS code, the authenticator app's code, or a recovery code. */
export type StepUpProof = { code: string } | { totpCode: string } | { recoveryCode: string };

const FIELD: Record<SecondFactorKind, string> = { sms: 'code (an SMS code from /auth/otp/request)', totp: 'totpCode or recoveryCode' };

/**
 * SPEC §12: a passkey used with user verification stands in for both factors, so registering one is
 * a way around the person's second factor unless it takes that factor too. A session or login token
 * alone is not enough: it may be stolen, held by an API-mode application, or come from the external
 * exchange (vouched for by a backend, outside the second-factor rule). When the person has a second
 * factor, `proof` must be a current one, spent here (a TOTP step or recovery code once, an SMS code
 * once); without one the change is refused with 403 step_up_required.
 */
export async function requireStepUp(deps: FlowDeps, application: Application, consumer: Consumer, proof: StepUpProof | undefined, purpose: string): Promise<void> {
  const factors = secondFactorsFor(consumer, { via: 'password' });
  if (factors.length === 0) return;
  if (!proof) throw new StepUpRequired(`this needs a current second factor: send ${factors.map((factor) => FIELD[factor]).join(', or ')}`);
  if ('code' in proof) {
    if (!factors.includes('sms') || !consumer.phone) throw new BadRequest('this account has no SMS second factor: send totpCode or recoveryCode');
    const attempt = await attemptCode(deps, application, { destination: consumer.phone, code: proof.code }, null, () => ({}));
    if (attempt.outcome === 'wrong') throw new OtpInvalid('wrong code');
    if (attempt.outcome !== 'verified') throw new OtpExpired('the code expired or was used up; request a new one');
    await deps.audit.record('login.step_up_verified', application.organizationId, { consumerId: consumer.id, applicationId: application.id, factor: 'sms', purpose });
    return;
  }
  if (!factors.includes('totp')) throw new BadRequest('this account has no authenticator app: send code');
  await redeemTotpProof(deps, consumer, proof, 'step_up', () => ({}), { applicationId: application.id, for: purpose });
}
