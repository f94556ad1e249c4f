import QRCode from 'qrcode';
import { encryptAtRest } from '../crypto/key-encryption.js';
import { generateRecoveryCode, generateTotpSecret, matchTotpStep, totpKeyUri } from '../crypto/totp.js';
import { maskDestination } from '../protocol/contacts.js';
import { AuthenticationRequired, BadRequest, Conflict, Forbidden, NotFound, StepUpRequired, TotpInvalid } from '../protocol/errors.js';
import { toIsoTime } from '../protocol/clock.js';
import type { Consumer } from '../storage/store.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';
import { secondFactorsFor } from './second-factor-rule.js';
import { openTotpSecret, recoveryCodeHash, redeemTotpProof, type TotpProof } from './totp-proof.js';
import { notifySecurityChange } from './security-notices.js';

/** SPEC §12: how many recovery codes a confirmed enrollment (or a regeneration) gives. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Who manages their own second factors: the consumer of a consumer access token (consumer API) or of
 * a login token (API mode). A guest has no account to protect.
 */
export interface FactorOwner {
  consumerId: string;
  sessionType: 'guest' | 'authenticated';
  /** When the credential's session signed in (a refresh keeps it): for the recent-sign-in rule. */
  signedInAt?: number;
}

/** How recent a sign-in must be to turn on a first second factor (review of issue 18). */
export const RECENT_SIGN_IN_SECONDS = 10 * 60;

/** What starting an enrollment shows the person once: the secret, its key URI, and that URI as a QR code. */
export interface TotpEnrollment {
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  /** `otpauth://totp/<issuer>:<label>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
  otpauthUri: string;
  /** The URI as an SVG QR code, rendered here (no third-party image service ever sees the secret). */
  qrCodeSvg: string;
}

/** A person's second factors as they may see them (never a secret). */
export interface SecondFactorList {
  secondFactors: Array<{ type: 'totp'; enabledAt: string; recoveryCodesRemaining: number } | { type: 'sms'; phoneNumber: string }>;
  /** A TOTP enrollment waits for its first code. */
  isTotpEnrollmentPending: boolean;
}

async function ownerConsumer(deps: FlowDeps, owner: FactorOwner): Promise<Consumer> {
  if (owner.sessionType !== 'authenticated') throw new Forbidden('a guest has no second factor: sign in first');
  const consumer = await deps.store.getConsumer(owner.consumerId);
  if (!consumer) throw new AuthenticationRequired('the account of this token no longer exists');
  return consumer;
}

/** The issuer authenticator apps show: the organization's display name, else Latchkey. */
async function issuerName(deps: FlowDeps, consumer: Consumer): Promise<string> {
  const organization = await deps.store.getOrganization(consumer.organizationId);
  return organization?.branding.displayName ?? 'Latchkey';
}

/** Ten new recovery codes: shown once, stored only as keyed hashes. */
function newRecoveryCodes(deps: FlowDeps, consumerId: string): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  return { codes, hashes: codes.map((code) => recoveryCodeHash(deps, consumerId, code)!) };
}

/** SPEC §12: the person's second factors (GET …/second-factors). */
export async function listSecondFactors(deps: FlowDeps, owner: FactorOwner): Promise<SecondFactorList> {
  return describeSecondFactors(deps, await ownerConsumer(deps, owner));
}

/** A consumer's second factors, for the person and for operators (admin API). */
export async function describeSecondFactors(deps: FlowDeps, consumer: Consumer): Promise<SecondFactorList> {
  const factor = await deps.store.getTotpFactor(consumer.id);
  const secondFactors: SecondFactorList['secondFactors'] = [];
  if (consumer.totpEnabledAt !== null) {
    secondFactors.push({ type: 'totp', enabledAt: toIsoTime(consumer.totpEnabledAt), recoveryCodesRemaining: await deps.store.countUnusedRecoveryCodes(consumer.id) });
  }
  if (consumer.secondFactor === 'sms' && consumer.phone) secondFactors.push({ type: 'sms', phoneNumber: maskDestination(consumer.phone) });
  return { secondFactors, isTotpEnrollmentPending: factor !== undefined && factor.confirmedAt === null };
}

/**
 * SPEC §12 enrollment, step 1: a new shared secret (sealed at rest, bound to the consumer), its
 * `otpauth://` URI — issuer the organization's display name, label the person's email or phone — and
 * the QR code of it as SVG. Starting again replaces a pending enrollment; with TOTP already on →
 * 409 conflict (remove it first).
 */
export async function startTotpEnrollment(deps: FlowDeps, owner: FactorOwner): Promise<TotpEnrollment> {
  const consumer = await ownerConsumer(deps, owner);
  // A person's first second factor, once on, is needed to sign in and to remove it: a stolen token
  // must not be able to turn one on and lock the owner out. With no factor to prove, the proof is a
  // recent sign-in (the session began in the last 10 minutes).
  const hasFactor = secondFactorsFor(consumer, { via: 'password' }).length > 0;
  if (!hasFactor && (owner.signedInAt === undefined || deps.clock.now() - owner.signedInAt > RECENT_SIGN_IN_SECONDS * 1000)) {
    throw new StepUpRequired('turning on an authenticator app needs a recent sign-in (in the last 10 minutes): sign in again, then enroll');
  }
  const secret = generateTotpSecret();
  const secretSealed = encryptAtRest(deps.serverKeys.totpSecretKey, secret, consumer.id);
  const isStarted = await deps.store.startTotpEnrollment({ consumerId: consumer.id, organizationId: consumer.organizationId, secretSealed, createdAt: deps.clock.now() });
  if (!isStarted) throw new Conflict('this account already has an authenticator app; remove it before enrolling another');
  await deps.audit.record('totp.enrollment_started', consumer.organizationId, { consumerId: consumer.id });
  return enrollmentOf(deps, consumer, secret);
}

/** What an enrollment shows: the secret, its key URI and that URI as an SVG QR code. */
async function enrollmentOf(deps: FlowDeps, consumer: Consumer, secret: string): Promise<TotpEnrollment> {
  const otpauthUri = totpKeyUri(secret, await issuerName(deps, consumer), consumer.email ?? consumer.phone ?? consumer.id);
  const qrCodeSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, otpauthUri, qrCodeSvg };
}

/**
 * The enrollment waiting for its first code, shown again (the hosted account page, after a wrong
 * code): the same secret the app may already hold. Undefined when none is pending.
 */
export async function pendingTotpEnrollment(deps: FlowDeps, owner: FactorOwner): Promise<TotpEnrollment | undefined> {
  const consumer = await ownerConsumer(deps, owner);
  const factor = await deps.store.getTotpFactor(consumer.id);
  if (!factor || factor.confirmedAt !== null) return undefined;
  return enrollmentOf(deps, consumer, openTotpSecret(deps, factor));
}

/**
 * SPEC §12 enrollment, step 2: the first code from the app confirms the pending enrollment (its
 * time step counts as used, RFC 6238 §5.2) and returns the ten recovery codes — the only time they
 * are shown. Wrong codes take from the person's second-factor budget (429 once spent).
 */
export async function confirmTotpEnrollment(deps: FlowDeps, owner: FactorOwner, code: string): Promise<{ recoveryCodes: string[]; enabledAt: string }> {
  const consumer = await ownerConsumer(deps, owner);
  const factor = await deps.store.getTotpFactor(consumer.id);
  if (!factor || factor.confirmedAt !== null) throw new Conflict('no authenticator-app enrollment is waiting for its first code; start one');
  await deps.rateLimits.consume('secondFactorPerConsumer', consumer.id);
  const now = deps.clock.now();
  const step = matchTotpStep(openTotpSecret(deps, factor), code, now);
  if (step === null) {
    await deps.audit.record('totp.failed', consumer.organizationId, { consumerId: consumer.id, purpose: 'confirm', reason: 'wrong_code' });
    throw new TotpInvalid('wrong authenticator code');
  }
  const { codes, hashes } = newRecoveryCodes(deps, consumer.id);
  const enabled = deps.audit.prepare('totp.enabled', consumer.organizationId, { consumerId: consumer.id });
  const isConfirmed = await deps.store.confirmTotpEnrollment({ consumerId: consumer.id, secretSealed: factor.secretSealed, step, recoveryCodeHashes: hashes, now }, [enabled]);
  // Another request confirmed it, or started a new enrollment, meanwhile.
  if (!isConfirmed) throw new Conflict('this enrollment changed meanwhile; start again');
  deps.audit.committed([enabled]);
  notifySecurityChange(deps, consumer, 'totp_enabled');
  await deps.rateLimits.reset('secondFactorPerConsumer', consumer.id);
  return { recoveryCodes: codes, enabledAt: toIsoTime(now) };
}

/**
 * SPEC §12: removes the person's authenticator app and its recovery codes. Decision (docs/
 * architecture.md): removing a confirmed TOTP takes a current code or a recovery code, so a stolen
 * session alone cannot strip the factor; cancelling a pending enrollment takes nothing. Someone who
 * lost both asks an operator (admin API).
 */
export async function removeTotp(deps: FlowDeps, owner: FactorOwner, proof: TotpProof | undefined): Promise<void> {
  const consumer = await ownerConsumer(deps, owner);
  const factor = await deps.store.getTotpFactor(consumer.id);
  if (!factor) throw new NotFound('this account has no authenticator app');
  if (factor.confirmedAt !== null) {
    if (!proof) throw new BadRequest('removing the authenticator app takes a current code (totpCode) or a recovery code (recoveryCode)');
    await redeemTotpProof(deps, consumer, proof, 'remove');
  }
  const wasConfirmed = factor.confirmedAt !== null;
  const removed = deps.audit.prepare('totp.removed', consumer.organizationId, { consumerId: consumer.id, by: 'self', wasConfirmed });
  // Without proof only a still-pending enrollment goes: one confirmed since the read above stays.
  if (await deps.store.removeTotpFactor(consumer.id, deps.clock.now(), [removed], { onlyUnconfirmed: !wasConfirmed })) {
    deps.audit.committed([removed]);
    if (wasConfirmed) notifySecurityChange(deps, consumer, 'totp_removed');
    return;
  }
  if (!wasConfirmed && (await deps.store.getTotpFactor(consumer.id))?.confirmedAt != null) {
    throw new BadRequest('the authenticator app was just confirmed: removing it takes a current code (totpCode) or a recovery code (recoveryCode)');
  }
}

/**
 * SPEC §12: ten new recovery codes replace every old one (used or not), shown once. Takes a current
 * code or a recovery code, like removal.
 */
export async function regenerateRecoveryCodes(deps: FlowDeps, owner: FactorOwner, proof: TotpProof): Promise<{ recoveryCodes: string[] }> {
  const consumer = await ownerConsumer(deps, owner);
  if (consumer.totpEnabledAt === null) throw new Conflict('recovery codes come with an authenticator app; enroll one first');
  await redeemTotpProof(deps, consumer, proof, 'regenerate_recovery_codes');
  const { codes, hashes } = newRecoveryCodes(deps, consumer.id);
  const regenerated = deps.audit.prepare('recovery_codes.regenerated', consumer.organizationId, { consumerId: consumer.id });
  if (!(await deps.store.replaceRecoveryCodes(consumer.id, hashes, deps.clock.now(), [regenerated]))) {
    throw new Conflict('the authenticator app was removed meanwhile');
  }
  deps.audit.committed([regenerated]);
  notifySecurityChange(deps, consumer, 'recovery_codes_regenerated');
  return { recoveryCodes: codes };
}

/** SPEC §10: an operator removes a person's authenticator app (and recovery codes) — e.g. after losing both. */
export async function removeTotpByOperator(deps: FlowDeps, consumer: Consumer, actor?: AuditActor): Promise<boolean> {
  const removed = deps.audit.prepare('totp.removed', consumer.organizationId, withActor({ consumerId: consumer.id, by: 'operator' }, actor));
  const isRemoved = await deps.store.removeTotpFactor(consumer.id, deps.clock.now(), [removed]);
  if (isRemoved) {
    deps.audit.committed([removed]);
    notifySecurityChange(deps, consumer, 'totp_removed');
  }
  return isRemoved;
}
