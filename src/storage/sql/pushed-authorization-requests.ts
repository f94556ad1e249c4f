import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { PushedAuthorizationRequest, Store } from '../store.js';

type PushedAuthorizationMethods = Pick<Store, 'createPushedAuthorizationRequest' | 'consumePushedAuthorizationRequest'>;

/** The stored form of a pushed request's parameters: the single-valued ones and the repeatable `resource`. */
interface StoredParameters {
  parameters: Record<string, string>;
  resources: string[];
}

function toPushedAuthorizationRequest(row: Database['pushed_authorization_requests']): PushedAuthorizationRequest {
  const stored = JSON.parse(row.parameters) as StoredParameters;
  return {
    requestUriHash: row.request_uri_hash,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    parameters: stored.parameters,
    resources: stored.resources,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
  };
}

/** RFC 9126 pushed authorization requests (SPEC §13). */
export function pushedAuthorizationQueries(db: Kysely<Database>): PushedAuthorizationMethods {
  return {
    async createPushedAuthorizationRequest(request) {
      const stored: StoredParameters = { parameters: request.parameters, resources: request.resources };
      await db
        .insertInto('pushed_authorization_requests')
        .values({
          request_uri_hash: request.requestUriHash,
          organization_id: request.organizationId,
          application_id: request.applicationId,
          parameters: JSON.stringify(stored),
          created_at: request.createdAt,
          expires_at: request.expiresAt,
          consumed_at: null,
        })
        .execute();
    },

    async consumePushedAuthorizationRequest(match) {
      // RFC 9126 §4 single use: one conditional UPDATE — exactly one caller matches the unused row.
      const row = await db
        .updateTable('pushed_authorization_requests')
        .set({ consumed_at: match.now })
        .where('request_uri_hash', '=', match.requestUriHash)
        .where('application_id', '=', match.applicationId)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', match.now)
        .returningAll()
        .executeTakeFirst();
      return row && toPushedAuthorizationRequest(row);
    },
  };
}
