import { generateId } from '../crypto/random.js';
import type { Consumer, UserPool } from '../storage/store.js';

/**
 * A consumer record not yet stored: empty fields, no merge, no second factor. It lives in `pool` —
 * the organization and environment of the application (or CLI command) that makes it (SPEC §1).
 */
export function newConsumer(pool: UserPool, type: Consumer['type'], now: number, fields: Partial<Pick<Consumer, 'canonicalSubject' | 'email' | 'phone' | 'fullName'>> = {}): Consumer {
  return {
    id: generateId('con_', now),
    organizationId: pool.organizationId,
    environment: pool.environment,
    type,
    email: fields.email ?? null,
    phone: fields.phone ?? null,
    fullName: fields.fullName ?? null,
    canonicalSubject: fields.canonicalSubject ?? null,
    claims: {},
    mergedIntoId: null,
    secondFactor: null,
    totpEnabledAt: null,
    emailVerifiedAt: null,
    phoneVerifiedAt: null,
    createdAt: now,
    updatedAt: now,
    disabledAt: null,
  };
}
