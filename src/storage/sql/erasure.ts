import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ErasureCounts, Store } from '../store.js';
import { auditEventRows } from './audit.js';

type ErasureMethods = Pick<Store, 'eraseConsumer'>;

/** How many merges deep the erasure follows guests absorbed into the person (the sign-ins follow 5). */
const MAX_MERGE_DEPTH = 10;

const isText = (value: string | null | undefined): value is string => typeof value === 'string' && value !== '';

/**
 * SPEC §10 erasure (GDPR art. 17) in one transaction: the person's rows go, their audit trail stays
 * with them anonymised. A crash leaves either all of it done or none.
 */
export function erasureQueries(db: Kysely<Database>): ErasureMethods {
  return {
    async eraseConsumer(consumerId, pseudonym, record) {
      return db.transaction().execute(async (trx) => {
        const root = await trx.selectFrom('consumers').selectAll().where('id', '=', consumerId).executeTakeFirst();
        if (!root) return undefined;
        // The person: the consumer and every guest (or merge tombstone) that was absorbed into it.
        const people = [root];
        let frontier = [root.id];
        for (let depth = 0; frontier.length > 0 && depth < MAX_MERGE_DEPTH; depth++) {
          const merged = await trx.selectFrom('consumers').selectAll().where('merged_into_id', 'in', frontier).execute();
          const fresh = merged.filter((row) => !people.some((person) => person.id === row.id));
          people.push(...fresh);
          frontier = fresh.map((row) => row.id);
        }
        const ids = people.map((person) => person.id);
        const identities = await trx.selectFrom('identities').select(['provider', 'issuer', 'subject']).where('consumer_id', 'in', ids).execute();
        // Where codes and messages were sent: the contact fields and the addresses Latchkey verified.
        const addresses = [...new Set([
          ...people.flatMap((person) => [person.email, person.phone]),
          ...identities.filter((identity) => identity.issuer === 'latchkey').map((identity) => identity.subject),
        ].filter(isText))];
        // Every value that names the person, to strip from the audit trail.
        const personal = [...new Set([
          ...addresses,
          ...people.flatMap((person) => [person.full_name, person.canonical_subject]),
          ...identities.map((identity) => identity.subject),
        ].filter(isText))];
        const organizationId = root.organization_id;

        const ofPerson = trx.selectFrom('sessions').select('id').where('consumer_id', 'in', ids);
        const count = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);
        const refreshTokens = count(await trx.deleteFrom('refresh_tokens').where('session_id', 'in', ofPerson).executeTakeFirst());
        const sessions = count(await trx.deleteFrom('sessions').where('consumer_id', 'in', ids).executeTakeFirst());
        const authorizationCodes = count(await trx.deleteFrom('authorization_codes').where('consumer_id', 'in', ids).executeTakeFirst());
        const exchangeCodes = count(await trx.deleteFrom('exchange_codes').where('consumer_id', 'in', ids).executeTakeFirst());
        const grants = count(await trx.deleteFrom('grants').where('consumer_id', 'in', ids).executeTakeFirst());
        const passkeys = count(await trx.deleteFrom('passkeys').where('consumer_id', 'in', ids).executeTakeFirst());
        await trx.deleteFrom('webauthn_challenges').where('consumer_id', 'in', ids).execute();
        const identityRows = count(await trx.deleteFrom('identities').where('consumer_id', 'in', ids).executeTakeFirst());
        // SPEC §12: the person's TOTP secret and recovery codes go with them (migration 012).
        await trx.deleteFrom('recovery_codes').where('consumer_id', 'in', ids).execute();
        await trx.deleteFrom('totp_factors').where('consumer_id', 'in', ids).execute();
        let otpCodes = 0;
        let devMessages = 0;
        if (addresses.length > 0) {
          otpCodes = count(await trx.deleteFrom('otp_codes').where('organization_id', '=', organizationId).where('environment', '=', root.environment)
            .where('destination', 'in', addresses).executeTakeFirst());
          // The outbox has no environment: every message of the organization to these addresses goes.
          devMessages = count(await trx.deleteFrom('dev_outbox').where('organization_id', '=', organizationId).where('recipient', 'in', addresses).executeTakeFirst());
        }
        const authorizationRequests = count(await trx.deleteFrom('authorization_requests').where('organization_id', '=', organizationId)
          .where((eb) => eb.or([eb('id_token_hint_subject', 'in', ids), ...(personal.length > 0 ? [eb('login_hint', 'in', personal)] : [])]))
          .executeTakeFirst());
        const consumers = count(await trx.deleteFrom('consumers').where('id', 'in', ids).executeTakeFirst());

        // The audit trail: events about the person (by column) and any naming them in their data.
        const candidates = await trx
          .selectFrom('audit_events')
          .select(['id', 'data', 'consumer_id'])
          .where('organization_id', '=', organizationId)
          .where((eb) => eb.or([eb('consumer_id', 'in', ids), ...[...ids, ...personal].map((value) => eb('data', 'like', `%${value}%`))]))
          .execute();
        let auditEventsAnonymised = 0;
        for (const event of candidates) {
          const data = anonymise(JSON.parse(event.data), ids, personal, pseudonym);
          const consumerColumn = event.consumer_id !== null && ids.includes(event.consumer_id) ? pseudonym : event.consumer_id;
          const text = JSON.stringify(data);
          if (text === event.data && consumerColumn === event.consumer_id) continue;
          await trx.updateTable('audit_events').set({ data: text, consumer_id: consumerColumn }).where('id', '=', event.id).execute();
          auditEventsAnonymised++;
        }
        const erased: ErasureCounts = {
          consumers, identities: identityRows, sessions, refreshTokens, grants, authorizationCodes, authorizationRequests, exchangeCodes,
          otpCodes, devMessages, passkeys, auditEventsAnonymised,
        };
        const auditEvents = record(erased);
        if (auditEvents.length > 0) await trx.insertInto('audit_events').values(auditEventRows(auditEvents)).execute();
        return erased;
      });
    },
  };
}

const REMOVED = Symbol('removed');

/**
 * An audit event's data without the person: their ids become `pseudonym` (the trail still reads as
 * one person's), and a value that is, or holds an address of, theirs is dropped. Names and subjects
 * must match whole (a short name is a substring of many words); addresses anywhere in a value.
 */
function anonymise(value: unknown, ids: readonly string[], personal: readonly string[], pseudonym: string): unknown {
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      if (personal.some((text) => item === text || (text.length >= 6 && item.includes(text)))) return REMOVED;
      return ids.reduce((text, id) => text.split(id).join(pseudonym), item);
    }
    if (Array.isArray(item)) return item.map(walk).filter((entry) => entry !== REMOVED);
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, walk(entry)] as const).filter(([, entry]) => entry !== REMOVED));
    }
    return item;
  };
  const result = walk(value);
  return result === REMOVED ? {} : result;
}
