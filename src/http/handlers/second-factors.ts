import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import {
  confirmTotpEnrollment, listSecondFactors, regenerateRecoveryCodes, removeTotp, startTotpEnrollment, type FactorOwner,
} from '../../flows/totp.js';
import type { StepUpProof } from '../../flows/step-up.js';
import type { TotpProof } from '../../flows/totp-proof.js';
import type { AppEnv } from '../env.js';
import { RecoveryCodesRegenerateBody, TotpConfirmBody, TotpRemoveBody } from '../schemas/second-factor.js';
import { parseJsonBody } from '../validate.js';

/** Whose second factors a request manages, from the credential its route took. */
export type OwnerOf = (c: Context<AppEnv>) => FactorOwner;

/** The consumer API: the consumer of the access token (requireConsumerToken). */
export const consumerTokenOwner: OwnerOf = (c) => {
  const { consumerId, sessionType, signedInAt } = c.get('principal');
  return { consumerId, sessionType, ...(signedInAt !== undefined ? { signedInAt } : {}) };
};

/** API mode: the user of the login token (requireBearer(['login']), which always has a session). */
export const loginTokenOwner: OwnerOf = (c) => {
  const session = c.get('bearer').session!;
  return { consumerId: session.consumerId, sessionType: session.type, signedInAt: session.createdAt };
};

/** The TOTP proof a body carries, if any (the schemas allow at most one). */
function proofOf(body: { totpCode?: string; recoveryCode?: string }): TotpProof | undefined {
  if (body.totpCode !== undefined) return { totpCode: body.totpCode };
  if (body.recoveryCode !== undefined) return { recoveryCode: body.recoveryCode };
  return undefined;
}

/** The step-up proof a body carries, if any: the SMS `code`, or a TOTP proof (SPEC §12). */
export function stepUpProofOf(body: { code?: string; totpCode?: string; recoveryCode?: string }): StepUpProof | undefined {
  return body.code !== undefined ? { code: body.code } : proofOf(body);
}

/**
 * SPEC §12: a signed-in person's own second factors — the same handlers under the consumer API
 * (`/consumers/me/second-factors…`, consumer access token) and API mode (`/v1/user/second-factors…`,
 * login token). Answers that show a secret (the TOTP secret, recovery codes) are `no-store`.
 */
export function secondFactorHandlers(deps: FlowDeps, ownerOf: OwnerOf) {
  const noStore = (c: Context<AppEnv>) => c.header('Cache-Control', 'no-store');
  return {
    /** GET …/second-factors */
    list: (async (c) => c.json(await listSecondFactors(deps, ownerOf(c)))) satisfies Handler<AppEnv>,
    /** POST …/second-factors/totp — start (or restart) an enrollment. */
    startTotp: (async (c) => {
      const enrollment = await startTotpEnrollment(deps, ownerOf(c));
      noStore(c);
      return c.json(enrollment);
    }) satisfies Handler<AppEnv>,
    /** POST …/second-factors/totp/confirm — the first code; the recovery codes, once. */
    confirmTotp: (async (c) => {
      const body = parseJsonBody(TotpConfirmBody, await c.req.text());
      const confirmed = await confirmTotpEnrollment(deps, ownerOf(c), body.totpCode);
      noStore(c);
      return c.json(confirmed);
    }) satisfies Handler<AppEnv>,
    /** DELETE …/second-factors/totp — a current code or a recovery code (no body: cancel a pending enrollment). */
    removeTotp: (async (c) => {
      const raw = await c.req.text();
      const proof = raw.trim() === '' ? undefined : proofOf(parseJsonBody(TotpRemoveBody, raw));
      await removeTotp(deps, ownerOf(c), proof);
      return c.body(null, 204);
    }) satisfies Handler<AppEnv>,
    /** POST …/second-factors/recovery-codes — ten new codes replace the old ones. */
    regenerateRecoveryCodes: (async (c) => {
      const body = parseJsonBody(RecoveryCodesRegenerateBody, await c.req.text());
      const regenerated = await regenerateRecoveryCodes(deps, ownerOf(c), proofOf(body)!);
      noStore(c);
      return c.json(regenerated);
    }) satisfies Handler<AppEnv>,
  };
}
