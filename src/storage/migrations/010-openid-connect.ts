import { sql, type Kysely } from 'kysely';

// SPEC §9 (OpenID Connect Provider) and the changed §6.1.
//
// - applications: the PKCE policy (`required` unless created with `--pkce optional`), the registered
//   post-logout redirect URIs (RP-Initiated Logout 1.0 §3), and the access-token algorithm (RFC 9068
//   §2.1: RS256 on request). Applications created with no scope list before this change get the new
//   default list (`openid profile email phone address offline_access`): an empty list was the old
//   default, not a choice (docs/configuration.md).
// - authorization_requests: `state` and `code_challenge` may be absent now; both columns stay NOT NULL
//   and hold '' for "not sent" (SQLite cannot drop NOT NULL without rebuilding the table; rows.ts maps
//   '' to null, so no flow sees the sentinel). The OpenID Connect parameters that change what the
//   hosted pages do (`prompt`, `max_age`, `login_hint`, the subject of `id_token_hint`, `claims`).
// - authorization_codes and sessions (OAuth token families): the browser session that authenticated
//   the person (`sid`, RP-Initiated Logout), `auth_time` (a refreshed ID token keeps it, Core §12.2) and
//   the `claims` request (honoured in UserInfo and ID tokens for the life of the grant).
// - consumers: when the email address and the phone number were last proven (a one-time code sent to
//   them was entered) — `email_verified` / `phone_verified` (Core §5.1).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').addColumn('pkce_policy', 'text', (c) => c.notNull().defaultTo('required').check(sql`pkce_policy in ('required', 'optional')`)).execute();
  await db.schema.alterTable('applications').addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('applications').addColumn('access_token_alg', 'text', (c) => c.notNull().defaultTo('EdDSA').check(sql`access_token_alg in ('EdDSA', 'RS256')`)).execute();
  await db
    .updateTable('applications')
    .set({ allowed_scopes: JSON.stringify(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']) })
    .where('allowed_scopes', '=', '[]')
    .execute();

  for (const column of ['prompt', 'login_hint', 'id_token_hint_subject', 'claims']) {
    await db.schema.alterTable('authorization_requests').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('authorization_requests').addColumn('max_age', 'bigint').execute();

  await db.schema.alterTable('authorization_codes').addColumn('browser_session_id', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('claims', 'text').execute();

  await db.schema.alterTable('sessions').addColumn('browser_session_id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('auth_time', 'bigint').execute();
  await db.schema.alterTable('sessions').addColumn('claims', 'text').execute();
  // End-session finds the token families a browser session started (partial: most sessions have none).
  await db.schema.createIndex('sessions_browser_session').on('sessions').column('browser_session_id').where('browser_session_id', 'is not', null).execute();

  await db.schema.alterTable('consumers').addColumn('email_verified_at', 'bigint').execute();
  await db.schema.alterTable('consumers').addColumn('phone_verified_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_browser_session').execute();
  const drops: Array<[string, string[]]> = [
    ['consumers', ['phone_verified_at', 'email_verified_at']],
    ['sessions', ['claims', 'auth_time', 'browser_session_id']],
    ['authorization_codes', ['claims', 'browser_session_id']],
    ['authorization_requests', ['max_age', 'claims', 'id_token_hint_subject', 'login_hint', 'prompt']],
    ['applications', ['access_token_alg', 'post_logout_redirect_uris', 'pkce_policy']],
  ];
  for (const [table, columns] of drops) {
    for (const column of columns) await db.schema.alterTable(table).dropColumn(column).execute();
  }
}
