import { generateId, generateSecret } from '../crypto/random.js';
import { hashSecret } from '../crypto/hash.js';
import { toIsoTime } from '../protocol/clock.js';
import { EXCHANGE_CODE_TTL_SECONDS } from '../protocol/lifetimes.js';
import { UniqueConflict, type Application, type Consumer, type ExternalIdentity, type UserPool } from '../storage/store.js';
import { refuseDisabled } from './consumer-status.js';
import type { FlowDeps } from './deps.js';
import { newConsumer } from './new-consumer.js';

export interface ExternalAuthorizeInput extends ExternalIdentity {
  canonicalSubject?: string;
  claims?: Record<string, unknown> & { email?: string; fullName?: string; name?: string };
  codeChallenge?: string;
}

export type Resolution = 'created' | 'existing' | 'linked';

/** SPEC §5.1 response. */
export interface ExternalAuthorizeResult {
  exchangeCode: string;
  expiresAt: string;
  resolution: Resolution;
}

/** A claim worth storing: blank strings would fill a field for good and block a later real value. */
const present = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/** Splits claims into the consumer fields they may fill and the rest, which is kept as is. */
function claimFields(input: ExternalAuthorizeInput) {
  const { email, fullName, name, ...rest } = input.claims ?? {};
  const emailValue = present(email);
  const fullNameValue = present(fullName) ?? present(name);
  return {
    ...(emailValue !== undefined ? { email: emailValue } : {}),
    ...(fullNameValue !== undefined ? { fullName: fullNameValue } : {}),
    ...(input.canonicalSubject !== undefined ? { canonicalSubject: input.canonicalSubject } : {}),
    claims: rest,
  };
}

/**
 * The claim fields that could still change `consumer` (the store fills only empty fields and adds
 * only new claim keys), or undefined when none could: a returning user's sign-in then writes nothing.
 */
function fieldsItCouldFill(consumer: Consumer, fields: ReturnType<typeof claimFields>): ReturnType<typeof claimFields> | undefined {
  const couldFill =
    (fields.email !== undefined && consumer.email === null) ||
    (fields.fullName !== undefined && consumer.fullName === null) ||
    (fields.canonicalSubject !== undefined && consumer.canonicalSubject === null) ||
    Object.keys(fields.claims).some((key) => !Object.hasOwn(consumer.claims, key));
  return couldFill ? fields : undefined;
}

/**
 * Finds or creates the consumer of an external identity (SPEC §5.1 resolution rules) in the pool of
 * the secret key's application: its organization and environment (SPEC §1) — a test key never
 * finds, links or fills a live consumer.
 */
async function resolveConsumer(deps: FlowDeps, pool: UserPool, input: ExternalAuthorizeInput): Promise<{ consumer: Consumer; resolution: Resolution }> {
  const { organizationId } = pool;
  const identity = { provider: input.provider, issuer: input.issuer, subject: input.subject };
  const existing = await deps.store.findConsumerByExternalIdentity(pool, identity);
  if (existing) {
    if (input.canonicalSubject !== undefined && existing.canonicalSubject !== null && existing.canonicalSubject !== input.canonicalSubject) {
      // SPEC §5.1: the identity keeps its consumer; the disagreement is recorded, never merged.
      await deps.audit.record('identity.canonical_subject_mismatch', organizationId, {
        consumerId: existing.id,
        provider: input.provider,
        issuer: input.issuer,
      });
    }
    return { consumer: existing, resolution: 'existing' };
  }
  const now = deps.clock.now();
  if (input.canonicalSubject !== undefined) {
    const sibling = await deps.store.findConsumerByCanonicalSubject(pool, input.canonicalSubject);
    if (sibling) {
      await deps.store.attachExternalIdentity(sibling.id, generateId('idn_', now), identity, now);
      await deps.audit.record('identity.linked', organizationId, { consumerId: sibling.id, provider: input.provider, issuer: input.issuer });
      return { consumer: sibling, resolution: 'linked' };
    }
  }
  const consumer = newConsumer(pool, 'authenticated', now, { canonicalSubject: input.canonicalSubject ?? null });

  await deps.store.createConsumerWithIdentity(consumer, generateId('idn_', now), identity);
  await deps.audit.record('consumer.created', organizationId, { consumerId: consumer.id, via: 'external', provider: input.provider });
  return { consumer, resolution: 'created' };
}

/**
 * SPEC §5.1: resolves the identity to a consumer, fills empty fields from the claims, and mints a
 * 60-second exchange code bound to `application` (and to `codeChallenge` when given).
 */
export async function authorizeExternalIdentity(deps: FlowDeps, application: Application, input: ExternalAuthorizeInput): Promise<ExternalAuthorizeResult> {
  let resolved;
  try {
    resolved = await resolveConsumer(deps, application, input);
  } catch (error) {
    // A concurrent request created the same identity or canonical subject first: resolve again,
    // which now finds it (`existing` or `linked`).
    if (!(error instanceof UniqueConflict)) throw error;
    resolved = await resolveConsumer(deps, application, input);
  }
  // SPEC §10: no exchange code for a disabled person (the exchange would be refused anyway).
  refuseDisabled(resolved.consumer);
  const now = deps.clock.now();
  const fill = fieldsItCouldFill(resolved.consumer, claimFields(input));
  if (fill) await deps.store.fillEmptyConsumerFields(resolved.consumer.id, fill, now);

  const exchangeCode = generateSecret('exc_');
  const expiresAt = now + EXCHANGE_CODE_TTL_SECONDS * 1000;
  await deps.store.createExchangeCode({
    codeHash: hashSecret(exchangeCode),
    organizationId: application.organizationId,
    applicationId: application.id,
    consumerId: resolved.consumer.id,
    codeChallenge: input.codeChallenge ?? null,
    resolution: resolved.resolution,
    createdAt: now,
    expiresAt,
    consumedAt: null,
  });
  deps.metrics.tokenIssued('exchange_code');
  await deps.audit.record('exchange_code.issued', application.organizationId, {
    applicationId: application.id,
    consumerId: resolved.consumer.id,
    resolution: resolved.resolution,
    isBrowserBound: input.codeChallenge !== undefined,
  });
  return { exchangeCode, expiresAt: toIsoTime(expiresAt), resolution: resolved.resolution };
}
