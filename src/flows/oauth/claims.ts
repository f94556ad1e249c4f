import type { Consumer } from '../../storage/store.js';

/** The given and family names: the backend's own when it sent them, else the stored full name split as `/v1/user` does. */
export function namesOf(consumer: Consumer): { name?: string; givenName?: string; familyName?: string } {
  const [first, ...rest] = (consumer.fullName ?? '').trim().split(/\s+/).filter(Boolean);
  const givenName = nonEmptyString(consumer.claims.given_name) ?? first;
  const familyName = nonEmptyString(consumer.claims.family_name) ?? (rest.length > 0 ? rest.join(' ') : undefined);
  const name = nonEmptyString(consumer.fullName?.trim()) ?? ([givenName, familyName].filter(Boolean).join(' ') || undefined);
  return { name, givenName, familyName };
}

/**
 * The values of the named claims about the person (OpenID Connect Core §5.1), in their standard
 * names; a claim with no value is omitted (Core §5.3.2). `email_verified` / `phone_number_verified`
 * are true once a one-time code sent to that address was entered, and come only with the address.
 */
export function personClaims(consumer: Consumer, names: Iterable<string>): Record<string, unknown> {
  const wanted = new Set(names);
  const { name, givenName, familyName } = namesOf(consumer);
  const address = consumer.claims.address;
  const values: Record<string, unknown> = {
    name,
    given_name: givenName,
    family_name: familyName,
    // Core §5.1: seconds since the epoch.
    updated_at: Math.floor(consumer.updatedAt / 1000),
    email: consumer.email ?? undefined,
    email_verified: consumer.email ? consumer.emailVerifiedAt !== null : undefined,
    phone_number: consumer.phone ?? undefined,
    phone_number_verified: consumer.phone ? consumer.phoneVerifiedAt !== null : undefined,
    // Core §5.1.1: a JSON object; anything else the backend sent is not an address claim.
    address: typeof address === 'object' && address !== null && !Array.isArray(address) ? address : undefined,
  };
  return Object.fromEntries(Object.entries(values).filter(([claim, value]) => wanted.has(claim) && value !== undefined));
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
