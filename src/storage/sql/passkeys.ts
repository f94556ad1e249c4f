import type { Kysely } from 'kysely';
import type { AfterConsume } from '../fault-point.js';
import { rowInserter } from '../prepared.js';
import type { Database } from '../schema.js';
import type { Passkey, PasskeyRedemption, Store, WebAuthnChallenge } from '../store.js';
import { auditEventRows } from './audit.js';
import { rethrowConflict } from './conflict.js';
import { toConsumer, toPasskey, toWebAuthnChallenge } from './rows.js';
import { signInStatements, writeSignIn } from './sign-in-writes.js';

type PasskeyMethods = Pick<
  Store,
  | 'createWebAuthnChallenge' | 'findWebAuthnChallenge' | 'consumeWebAuthnChallenge' | 'registerPasskey' | 'redeemPasskeyAssertion'
  | 'findPasskeyByCredentialId' | 'listPasskeys' | 'renamePasskey' | 'deletePasskey'
>;

type ChallengeMatch = { challengeHash: string; applicationId: string; purpose: WebAuthnChallenge['purpose']; consumerId?: string; now: number };

/** SPEC §12: passkeys and the single-use challenges of their ceremonies. */
export function passkeyQueries(db: Kysely<Database>, afterConsume: AfterConsume): PasskeyMethods {
  const insertRow = rowInserter(db);
  const signInWrites = signInStatements(db);

  // SPEC §4 single use: one conditional UPDATE — under any concurrency, on any number of instances,
  // exactly one caller matches the `consumed_at IS NULL` row.
  async function consumeChallenge(executor: Kysely<Database>, match: ChallengeMatch): Promise<WebAuthnChallenge | undefined> {
    let query = executor
      .updateTable('webauthn_challenges')
      .set({ consumed_at: match.now })
      .where('challenge_hash', '=', match.challengeHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', match.now)
      .where('application_id', '=', match.applicationId)
      .where('purpose', '=', match.purpose);
    if (match.consumerId !== undefined) query = query.where('consumer_id', '=', match.consumerId);
    const row = await query.returningAll().executeTakeFirst();
    return row && toWebAuthnChallenge(row);
  }

  return {
    async createWebAuthnChallenge(challenge) {
      await insertRow('webauthn_challenges', {
        challenge_hash: challenge.challengeHash,
        organization_id: challenge.organizationId,
        application_id: challenge.applicationId,
        purpose: challenge.purpose,
        consumer_id: challenge.consumerId,
        created_at: challenge.createdAt,
        expires_at: challenge.expiresAt,
        consumed_at: null,
      });
    },

    async findWebAuthnChallenge(challengeHash) {
      const row = await db.selectFrom('webauthn_challenges').selectAll().where('challenge_hash', '=', challengeHash).executeTakeFirst();
      return row && toWebAuthnChallenge(row);
    },

    consumeWebAuthnChallenge: (match) => consumeChallenge(db, match),

    async registerPasskey(match, passkey, auditEvents) {
      return db.transaction().execute(async (trx) => {
        const challenge = await consumeChallenge(trx, { ...match, purpose: 'registration', consumerId: passkey.consumerId });
        if (!challenge) return false;
        afterConsume('webauthn_challenge');
        await trx.insertInto('passkeys').values(passkeyRow(passkey)).execute();
        if (auditEvents.length > 0) await trx.insertInto('audit_events').values(auditEventRows(auditEvents)).execute();
        return true;
      }).catch(rethrowConflict);
    },

    async redeemPasskeyAssertion(match, use, signIn) {
      // Issue 12.1: the challenge's consumption, the passkey's new counter and the sign-in commit together.
      return db.transaction().execute(async (trx): Promise<PasskeyRedemption> => {
        const challenge = await consumeChallenge(trx, { ...match, purpose: 'authentication' });
        if (!challenge) return { outcome: 'challenge_unavailable' };
        afterConsume('webauthn_challenge');
        // WebAuthn L3 §7.2 step 21: a counter that did not move forward (unless both are 0) means
        // two copies of the credential may exist; the condition is in the UPDATE, so two uses racing
        // with the same counter cannot both pass.
        const used = await trx
          .updateTable('passkeys')
          .set({ sign_count: use.signCount, backed_up: use.backedUp ? 1 : 0, last_used_at: match.now })
          .where('id', '=', use.passkeyId)
          .where('sign_count', use.signCount === 0 ? '=' : '<', use.signCount)
          .returning('consumer_id')
          .executeTakeFirst();
        if (!used) return { outcome: 'stale_counter' };
        const ownerRow = await trx.selectFrom('consumers').selectAll().where('id', '=', used.consumer_id).executeTakeFirstOrThrow();
        const owner = toConsumer(ownerRow);
        const signedIn = await writeSignIn(trx, signInWrites, signIn(owner), match.now);
        return { outcome: 'signed_in', owner, signedIn };
      }).catch(rethrowConflict);
    },

    async findPasskeyByCredentialId(credentialId) {
      const row = await db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row && toPasskey(row);
    },

    async listPasskeys(consumerId) {
      const rows = await db.selectFrom('passkeys').selectAll().where('consumer_id', '=', consumerId).orderBy('id').execute();
      return rows.map(toPasskey);
    },

    async renamePasskey(passkeyId, consumerId, name) {
      const row = await db.updateTable('passkeys').set({ name }).where('id', '=', passkeyId).where('consumer_id', '=', consumerId).returningAll().executeTakeFirst();
      return row && toPasskey(row);
    },

    async deletePasskey(passkeyId, consumerId) {
      const result = await db.deleteFrom('passkeys').where('id', '=', passkeyId).where('consumer_id', '=', consumerId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

function passkeyRow(passkey: Passkey): Database['passkeys'] {
  return {
    id: passkey.id,
    organization_id: passkey.organizationId,
    consumer_id: passkey.consumerId,
    credential_id: passkey.credentialId,
    public_key: passkey.publicKey,
    sign_count: passkey.signCount,
    transports: JSON.stringify(passkey.transports),
    backup_eligible: passkey.backupEligible ? 1 : 0,
    backed_up: passkey.backedUp ? 1 : 0,
    device_type: passkey.deviceType,
    aaguid: passkey.aaguid,
    name: passkey.name,
    created_at: passkey.createdAt,
    last_used_at: passkey.lastUsedAt,
  };
}
