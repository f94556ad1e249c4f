import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { toAdminToken } from './rows.js';

type AdminTokenMethods = Pick<
  Store,
  'createAdminToken' | 'findAdminTokenByHash' | 'getAdminToken' | 'listAdminTokens' | 'revokeAdminToken' | 'touchAdminToken'
>;

/** Admin API tokens (SPEC §10): looked up by the SHA-256 of the secret, never by the secret. */
export function adminTokenQueries(db: Kysely<Database>): AdminTokenMethods {
  return {
    async createAdminToken(token, tokenHash) {
      await db
        .insertInto('admin_tokens')
        .values({
          id: token.id,
          name: token.name,
          token_hash: tokenHash,
          organization_id: token.organizationId,
          read_only: token.readOnly ? 1 : 0,
          created_at: token.createdAt,
          revoked_at: token.revokedAt,
          last_used_at: token.lastUsedAt,
        })
        .execute();
    },

    async findAdminTokenByHash(tokenHash) {
      const row = await db.selectFrom('admin_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && { token: toAdminToken(row), tokenHash: row.token_hash };
    },

    async getAdminToken(id) {
      const row = await db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAdminToken(row);
    },

    async listAdminTokens(filter, page) {
      let query = db.selectFrom('admin_tokens').selectAll().orderBy('id').limit(page.limit);
      if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toAdminToken);
    },

    async revokeAdminToken(id, now) {
      const result = await db.updateTable('admin_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async touchAdminToken(id, now, minIntervalMs) {
      await db
        .updateTable('admin_tokens')
        .set({ last_used_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - minIntervalMs)]))
        .execute();
    },
  };
}
