import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { SignInConflict, type ExternalIdentity, type GuestLink } from '../store.js';
import { revokeSessionsWhere } from './session-rows.js';

// SPEC §5.4 guest linking, inside the caller's transaction. Each link first claims the guest with
// one conditional UPDATE, so exactly one of several concurrent sign-ins links a guest; a lost claim
// throws SignInConflict, which rolls back the whole transaction (issue 12.1: the credential the
// sign-in consumed stays usable).

/** Turns a guest into an authenticated consumer, only while it is still an unmerged guest. */
async function claimGuest(trx: Kysely<Database>, guestId: string, now: number): Promise<void> {
  const result = await trx
    .updateTable('consumers')
    .set({ type: 'authenticated', updated_at: now })
    .where('id', '=', guestId)
    .where('type', '=', 'guest')
    .where('merged_into_id', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new SignInConflict('guest_taken');
}

/** Upgrade in place: the guest, claimed, receives the identity (UniqueConflict, from the insert, if it is taken). */
export async function upgradeGuestIn(trx: Kysely<Database>, guestId: string, identityId: string, identity: ExternalIdentity, now: number): Promise<void> {
  await claimGuest(trx, guestId, now);
  const guest = await trx.selectFrom('consumers').select(['organization_id', 'environment']).where('id', '=', guestId).executeTakeFirstOrThrow();
  await trx
    .insertInto('identities')
    .values({ id: identityId, organization_id: guest.organization_id, environment: guest.environment, consumer_id: guestId, ...identity, created_at: now })
    .execute();
}

/** Exchange upgrade: `sourceId` (created for this sign-in) moves into the claimed guest and stays as a tombstone. */
export async function mergeIntoGuestIn(trx: Kysely<Database>, sourceId: string, guestId: string, now: number): Promise<void> {
  await claimGuest(trx, guestId, now);
  const source = await trx.selectFrom('consumers').selectAll().where('id', '=', sourceId).executeTakeFirstOrThrow();
  const guest = await trx.selectFrom('consumers').selectAll().where('id', '=', guestId).executeTakeFirstOrThrow();
  // SPEC §1: identities never move to another organization or environment; throwing rolls the
  // claim back with everything else.
  if (source.organization_id !== guest.organization_id || source.environment !== guest.environment) throw new SignInConflict('guest_taken');
  // The canonical subject is unique: take it off the source before the guest receives it.
  await trx.updateTable('consumers').set({ merged_into_id: guestId, canonical_subject: null, updated_at: now }).where('id', '=', sourceId).execute();
  await trx.updateTable('identities').set({ consumer_id: guestId }).where('consumer_id', '=', sourceId).execute();
  await trx
    .updateTable('consumers')
    .set({
      email: guest.email ?? source.email,
      phone: guest.phone ?? source.phone,
      full_name: guest.full_name ?? source.full_name,
      canonical_subject: guest.canonical_subject ?? source.canonical_subject,
      claims: JSON.stringify({ ...JSON.parse(source.claims), ...JSON.parse(guest.claims) }),
      updated_at: now,
    })
    .where('id', '=', guestId)
    .execute();
}

/** Marks the guest absorbed by `intoId`, only while it is an unmerged guest and `intoId` is of its pool. */
export async function markAbsorbedIn(executor: Kysely<Database>, guestId: string, intoId: string, now: number): Promise<void> {
  const result = await executor
    .updateTable('consumers')
    .set({ merged_into_id: intoId, updated_at: now })
    .where('id', '=', guestId)
    .where('type', '=', 'guest')
    .where('merged_into_id', 'is', null)
    // SPEC §1: only into a consumer of the guest's own organization and environment.
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('consumers as into')
          .select('into.id')
          .where('into.id', '=', intoId)
          .whereRef('into.organization_id', '=', 'consumers.organization_id')
          .whereRef('into.environment', '=', 'consumers.environment'),
      ),
    )
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new SignInConflict('guest_taken');
}

/** Writes a guest link and ends the guest's sessions (SPEC §5.4: "the guest's session is revoked either way"). */
export async function linkGuestIn(trx: Kysely<Database>, link: GuestLink, now: number): Promise<void> {
  if (link.action === 'upgrade') await upgradeGuestIn(trx, link.guestId, link.identityId, link.identity, now);
  if (link.action === 'merge') await mergeIntoGuestIn(trx, link.sourceId, link.guestId, now);
  if (link.action === 'absorb') await markAbsorbedIn(trx, link.guestId, link.intoId, now);
  await revokeSessionsWhere(trx, { consumerId: link.guestId }, now);
}

/** Runs a link step on its own: false when its claim was lost (SignInConflict), the transaction rolled back. */
export async function isLinked(step: Promise<void>): Promise<boolean> {
  try {
    await step;
    return true;
  } catch (error) {
    if (error instanceof SignInConflict) return false;
    throw error;
  }
}
