import { sql, type Kysely } from 'kysely';
import { rowInserter } from '../prepared.js';
import type { Database } from '../schema.js';
import type { AuditEvent, Store, TotpFactor } from '../store.js';
import { auditEventRows } from './audit.js';
import { rethrowConflict } from './conflict.js';
import { signInStatements, writeSignIn } from './sign-in-writes.js';

type TotpMethods = Pick<
  Store,
  'getTotpFactor' | 'startTotpEnrollment' | 'confirmTotpEnrollment' | 'redeemSecondFactor' | 'removeTotpFactor' | 'replaceRecoveryCodes' | 'countUnusedRecoveryCodes'
>;

function toTotpFactor(row: Database['totp_factors']): TotpFactor {
  return {
    consumerId: row.consumer_id,
    organizationId: row.organization_id,
    secretSealed: row.secret_sealed,
    createdAt: Number(row.created_at),
    confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
  };
}

async function insertRecoveryCodes(trx: Kysely<Database>, consumerId: string, codeHashes: readonly string[], now: number): Promise<void> {
  await trx.deleteFrom('recovery_codes').where('consumer_id', '=', consumerId).execute();
  if (codeHashes.length > 0) {
    await trx.insertInto('recovery_codes').values(codeHashes.map((codeHash) => ({ consumer_id: consumerId, code_hash: codeHash, created_at: now, consumed_at: null }))).execute();
  }
}

async function storeEvents(trx: Kysely<Database>, auditEvents: readonly AuditEvent[]): Promise<void> {
  if (auditEvents.length > 0) await trx.insertInto('audit_events').values(auditEventRows(auditEvents)).execute();
}

/**
 * TOTP second factors and recovery codes (SPEC §12, migration 012). Every use of a code is one
 * conditional UPDATE, so under any concurrency exactly one caller spends it (SPEC §4).
 */
export function totpQueries(db: Kysely<Database>): TotpMethods {
  const insertRow = rowInserter(db);
  const signInWrites = signInStatements(db);
  return {
    async getTotpFactor(consumerId) {
      const row = await db.selectFrom('totp_factors').selectAll().where('consumer_id', '=', consumerId).executeTakeFirst();
      return row && toTotpFactor(row);
    },

    async startTotpEnrollment(factor) {
      // One conditional upsert: a pending enrollment is replaced (a new QR code), a confirmed one never.
      const row = await db
        .insertInto('totp_factors')
        .values({
          consumer_id: factor.consumerId, organization_id: factor.organizationId, secret_sealed: factor.secretSealed,
          created_at: factor.createdAt, confirmed_at: null, last_used_step: null,
        })
        .onConflict((oc) =>
          oc
            .column('consumer_id')
            .doUpdateSet({ secret_sealed: (eb) => eb.ref('excluded.secret_sealed'), created_at: (eb) => eb.ref('excluded.created_at'), last_used_step: null })
            .where('totp_factors.confirmed_at', 'is', null),
        )
        .returning('consumer_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async confirmTotpEnrollment(confirm, auditEvents) {
      const { consumerId, secretSealed, step, recoveryCodeHashes, now } = confirm;
      return db.transaction().execute(async (trx) => {
        const confirmed = await trx
          .updateTable('totp_factors')
          .set({ confirmed_at: now, last_used_step: step })
          .where('consumer_id', '=', consumerId)
          .where('secret_sealed', '=', secretSealed)
          .where('confirmed_at', 'is', null)
          .returning('consumer_id')
          .executeTakeFirst();
        if (!confirmed) return false;
        await trx.updateTable('consumers').set({ totp_enabled_at: now, updated_at: now }).where('id', '=', consumerId).execute();
        await insertRecoveryCodes(trx, consumerId, recoveryCodeHashes, now);
        await storeEvents(trx, auditEvents);
        return true;
      });
    },

    async redeemSecondFactor(consumerId, proof, now, complete) {
      // Issue 12.1: the code's use and what it completes commit together, or neither does.
      return db.transaction().execute(async (trx) => {
        const spent =
          proof.kind === 'totp'
            ? // RFC 6238 §5.2: only a step later than the last accepted one (no replay, no going back).
              await trx
                .updateTable('totp_factors')
                .set({ last_used_step: proof.step })
                .where('consumer_id', '=', consumerId)
                .where('confirmed_at', 'is not', null)
                .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', proof.step)]))
                .returning('consumer_id')
                .executeTakeFirst()
            : await trx
                .updateTable('recovery_codes')
                .set({ consumed_at: now })
                .where('consumer_id', '=', consumerId)
                .where('code_hash', '=', proof.codeHash)
                .where('consumed_at', 'is', null)
                .returning('consumer_id')
                .executeTakeFirst();
        if (!spent) return undefined;
        return { signedIn: await writeSignIn(trx, signInWrites, complete(), now) };
      }).catch(rethrowConflict);
    },

    async removeTotpFactor(consumerId, now, auditEvents, options = {}) {
      return db.transaction().execute(async (trx) => {
        let remove = trx.deleteFrom('totp_factors').where('consumer_id', '=', consumerId);
        if (options.onlyUnconfirmed) remove = remove.where('confirmed_at', 'is', null);
        const removed = await remove.returning('consumer_id').executeTakeFirst();
        if (!removed) return false;
        await trx.deleteFrom('recovery_codes').where('consumer_id', '=', consumerId).execute();
        await trx.updateTable('consumers').set({ totp_enabled_at: null, updated_at: now }).where('id', '=', consumerId).execute();
        await storeEvents(trx, auditEvents);
        return true;
      });
    },

    async replaceRecoveryCodes(consumerId, codeHashes, now, auditEvents) {
      return db.transaction().execute(async (trx) => {
        // Locks the TOTP row (PostgreSQL) so two regenerations run one after the other, never leaving twenty codes.
        const factor = await trx
          .updateTable('totp_factors')
          .set({ confirmed_at: sql<number>`confirmed_at` })
          .where('consumer_id', '=', consumerId)
          .where('confirmed_at', 'is not', null)
          .returning('consumer_id')
          .executeTakeFirst();
        if (!factor) return false;
        await insertRecoveryCodes(trx, consumerId, codeHashes, now);
        await storeEvents(trx, auditEvents);
        return true;
      });
    },

    async countUnusedRecoveryCodes(consumerId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('consumer_id', '=', consumerId)
        .where('consumed_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
