import { hmacSha256 } from '../crypto/hash.js';
import { decryptAtRest } from '../crypto/key-encryption.js';
import { matchTotpStep, normalizeRecoveryCode } from '../crypto/totp.js';
import { RecoveryCodeInvalid, TotpInvalid } from '../protocol/errors.js';
import type { AuditEvent, Consumer, SignInWrites, TotpFactor } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

/** What a person gives for the TOTP factor: a code of their authenticator app, or one recovery code. */
export type TotpProof = { totpCode: string } | { recoveryCode: string };

/** Why a proof is asked for, in audit events. */
export type TotpPurpose = 'sign_in' | 'confirm' | 'remove' | 'regenerate_recovery_codes' | 'step_up';

/** The TOTP shared secret of an enrollment, opened (sealed to this consumer: another's row does not open). */
export function openTotpSecret(deps: FlowDeps, factor: TotpFactor): string {
  try {
    return decryptAtRest(deps.serverKeys.totpSecretKey, factor.secretSealed, factor.consumerId);
  } catch (error) {
    // Sealed under another LATCHKEY_SECRET (the setting changed): the factor cannot be checked any
    // more. A clear refusal, never a 500; an operator removes it and the person enrolls again.
    throw new TotpInvalid('this authenticator app can no longer be checked (the server secret changed); ask an operator to remove it, then enroll again', { cause: error });
  }
}

/**
 * A recovery code as stored: HMAC-SHA256 under a server key, bound to its consumer, of the code in
 * canonical form. Undefined when the text cannot be a recovery code.
 */
export function recoveryCodeHash(deps: FlowDeps, consumerId: string, typed: string): string | undefined {
  const code = normalizeRecoveryCode(typed);
  return code === undefined ? undefined : hmacSha256(deps.serverKeys.recoveryCodeKey, `${consumerId}\n${code}`);
}

/**
 * SPEC §12: spends a proof of the consumer's TOTP factor and writes what it completes (`complete`:
 * a sign-in, or nothing) in the same transaction (issue 12.1). Every authenticator code tried takes a
 * point of the person's second-factor budget first — so a burst of guesses cannot all pass the gate —
 * and a right one starts the count over (429 once spent): that budget is what bounds guessing six
 * digits from many networks at once (NIST SP 800-63B §5.2.2). Recovery codes are not charged to it:
 * fifty random bits each cannot be guessed under the per-IP limits every route that takes them has,
 * and someone who holds the password and spends the budget must not keep the owner out — the owner
 * still has a recovery code (or a passkey). A wrong code, a code of a time step already used
 * (RFC 6238 §5.2) → TotpInvalid; an unknown or used recovery code → RecoveryCodeInvalid. Each
 * failure and each recovery-code use is an audit event.
 */
export async function redeemTotpProof(
  deps: FlowDeps,
  consumer: Consumer,
  proof: TotpProof,
  purpose: TotpPurpose,
  complete: () => SignInWrites = () => ({}),
  context: Record<string, unknown> = {},
): Promise<{ signedIn: Consumer | undefined }> {
  const organizationId = consumer.organizationId;
  const subject = { consumerId: consumer.id, purpose, ...context };
  if ('totpCode' in proof) await deps.rateLimits.consume('secondFactorPerConsumer', consumer.id);
  const now = deps.clock.now();
  let writes: SignInWrites = {};
  // The writes as made inside the transaction, with the proof's own events, kept to log once committed.
  const completing = (events: AuditEvent[]) => (): SignInWrites => {
    const planned = complete();
    return (writes = { ...planned, auditEvents: [...(planned.auditEvents ?? []), ...events] });
  };
  let redeemed: { signedIn: Consumer | undefined } | undefined;
  if ('totpCode' in proof) {
    const factor = await deps.store.getTotpFactor(consumer.id);
    const step = factor?.confirmedAt != null ? matchTotpStep(openTotpSecret(deps, factor), proof.totpCode, now) : null;
    if (step === null) {
      await deps.audit.record('totp.failed', organizationId, { ...subject, reason: 'wrong_code' });
      throw new TotpInvalid('wrong authenticator code');
    }
    redeemed = await deps.store.redeemSecondFactor(consumer.id, { kind: 'totp', step }, now, completing([]));
    if (!redeemed) {
      await deps.audit.record('totp.failed', organizationId, { ...subject, reason: 'replayed' });
      throw new TotpInvalid('this authenticator code was already used; wait for the next one');
    }
  } else {
    const codeHash = recoveryCodeHash(deps, consumer.id, proof.recoveryCode);
    const used = deps.audit.prepare('recovery_code.used', organizationId, subject);
    redeemed = codeHash ? await deps.store.redeemSecondFactor(consumer.id, { kind: 'recovery_code', codeHash }, now, completing([used])) : undefined;
    if (!redeemed) {
      await deps.audit.record('recovery_code.failed', organizationId, subject);
      throw new RecoveryCodeInvalid('this recovery code is not valid or was already used');
    }
  }
  deps.audit.committed(writes.auditEvents ?? []);
  await deps.rateLimits.reset('secondFactorPerConsumer', consumer.id);
  return redeemed;
}
