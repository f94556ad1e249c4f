import { generateId } from '../crypto/random.js';
import type { Consumer } from '../storage/store.js';

/** A consumer record not yet stored: empty fields, no merge, no second factor. */
export function newConsumer(organizationId: string, type: Consumer['type'], now: number, fields: Partial<Pick<Consumer, 'canonicalSubject' | 'email' | 'phone' | 'fullName'>> = {}): Consumer {
  return {
    id: generateId('con_', now),
    organizationId,
    type,
    email: fields.email ?? null,
    phone: fields.phone ?? null,
    fullName: fields.fullName ?? null,
    canonicalSubject: fields.canonicalSubject ?? null,
    claims: {},
    mergedIntoId: null,
    secondFactor: null,
    createdAt: now,
    updatedAt: now,
  };
}
