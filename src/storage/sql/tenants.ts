import { sql, type Kysely } from 'kysely';
import { prepareQuery, type Placeholder } from '../prepared.js';
import { isLoopbackOrigin } from '../../protocol/origins.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { applicationRow, toApplication, toOrganization } from './rows.js';
import { rethrowConflict } from './conflict.js';

type TenantMethods = Pick<
  Store,
  | 'createOrganization' | 'findOrganizationByName' | 'getOrganization' | 'listOrganizations'
  | 'createApplication' | 'listApplications' | 'getApplication' | 'findApplicationByPublishableKey'
  | 'findApplicationBySecretHash' | 'findApplicationWithSecret' | 'rotateApplicationSecret' | 'addRedirectUri' | 'addPostLogoutRedirectUri' | 'isOriginAllowedByAnyApplication'
  | 'updateApplicationBranding' | 'setOrganizationBranding'
  | 'listApplicationsPage' | 'updateApplication' | 'setApplicationDisabledAt'
>;

/** Organizations, applications and application secrets. */
export function tenantQueries(db: Kysely<Database>): TenantMethods {
  // Every authenticated request runs one of these: prepared once (prepared.ts).
  const applicationById = prepareQuery(db, (db, $: Placeholder<{ id: string }>) =>
    db.selectFrom('applications').selectAll().where('id', '=', $('id')),
  );
  const applicationByPublishableKey = prepareQuery(db, (db, $: Placeholder<{ publishableKey: string }>) =>
    db.selectFrom('applications').selectAll().where('publishable_key', '=', $('publishableKey')),
  );
  const applicationBySecretHash = prepareQuery(db, (db, $: Placeholder<{ secretHash: string; now: number }>) =>
    db
      .selectFrom('application_secrets as s')
      .innerJoin('applications as a', 'a.id', 's.application_id')
      .selectAll('a')
      .where('s.secret_hash', '=', $('secretHash'))
      .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', $('now'))])),
  );
  const applicationWithSecret = prepareQuery(db, (db, $: Placeholder<{ publishableKey: string; secretHash: string; now: number }>) =>
    db
      .selectFrom('applications as a')
      .selectAll('a')
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('application_secrets as s')
              .select('s.secret_hash')
              .whereRef('s.application_id', '=', 'a.id')
              .where('s.secret_hash', '=', $('secretHash'))
              .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', $('now'))])),
          )
          .as('secret_matches'),
      )
      .where('a.publishable_key', '=', $('publishableKey')),
  );
  const getApplication = async (id: string) => {
    const row = await applicationById.first({ id });
    return row && toApplication(row);
  };

  /** Adds a URI to one of an application's JSON lists (redirect or post-logout), once. */
  const appendUri = async (column: 'redirect_uris' | 'post_logout_redirect_uris', applicationId: string, uri: string) => {
    // Compare-and-set on the list as read: a concurrent addition makes the UPDATE match nothing,
    // and this one reads again, so no addition is lost (no lock held between read and write).
    for (let attempt = 0; attempt < 50; attempt++) {
      const row = await db.selectFrom('applications').select(column).where('id', '=', applicationId).executeTakeFirst();
      if (!row) return undefined;
      const listed = row[column];
      const uris = JSON.parse(listed) as string[];
      if (!uris.includes(uri)) {
        uris.push(uri);
        const result = await db
          .updateTable('applications')
          .set({ [column]: JSON.stringify(uris) })
          .where('id', '=', applicationId)
          .where(column, '=', listed)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) continue;
      }
      return getApplication(applicationId);
    }
    throw new Error(`${column} of ${applicationId}: too many concurrent changes`);
  };

  return {
    async createOrganization(organization) {
      await db
        .insertInto('organizations')
        .values({
          id: organization.id,
          name: organization.name,
          settings: JSON.stringify(organization.settings),
          display_name: organization.branding.displayName,
          logo_url: organization.branding.logoUrl,
          accent_color: organization.branding.accentColor,
          created_at: organization.createdAt,
        })
        .execute()
        .catch(rethrowConflict);
    },

    async findOrganizationByName(name) {
      const row = await db.selectFrom('organizations').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toOrganization(row);
    },

    async getOrganization(id) {
      const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toOrganization(row);
    },

    async listOrganizations() {
      const rows = await db.selectFrom('organizations').selectAll().orderBy('id').execute();
      return rows.map(toOrganization);
    },

    async createApplication(application, secretHash, now) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('applications')
          .values(applicationRow(application))
          .execute();
        await trx
          .insertInto('application_secrets')
          .values({ secret_hash: secretHash, application_id: application.id, created_at: now, expires_at: null })
          .execute();
      });
    },

    async listApplications(organizationId) {
      let query = db.selectFrom('applications').selectAll().orderBy('id');
      if (organizationId) query = query.where('organization_id', '=', organizationId);
      return (await query.execute()).map(toApplication);
    },

    getApplication,

    async findApplicationByPublishableKey(publishableKey) {
      const row = await applicationByPublishableKey.first({ publishableKey });
      return row && toApplication(row);
    },

    async findApplicationBySecretHash(secretHash, now) {
      const row = await applicationBySecretHash.first({ secretHash, now });
      return row && toApplication(row);
    },

    async findApplicationWithSecret(publishableKey, secretHash, now) {
      const row = await applicationWithSecret.first({ publishableKey, secretHash, now });
      // EXISTS is a boolean on PostgreSQL and 0 or 1 on SQLite.
      return row && { application: toApplication(row), secretMatches: Number(row.secret_matches) === 1 };
    },

    async rotateApplicationSecret(applicationId, newSecretHash, oldSecretsExpireAt, now) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('application_secrets')
          .set({ expires_at: oldSecretsExpireAt })
          .where('application_id', '=', applicationId)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldSecretsExpireAt)]))
          .execute();
        await trx
          .insertInto('application_secrets')
          .values({ secret_hash: newSecretHash, application_id: applicationId, created_at: now, expires_at: null })
          .execute();
      });
    },

    async isOriginAllowedByAnyApplication(origin) {
      // Origins are stored as a JSON array of strings; a serialized origin holds no quote or
      // backslash, so matching its quoted form is exact. LIKE wildcards in it are escaped.
      const pattern = `%${JSON.stringify(origin).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      const listed = await db
        .selectFrom('applications')
        .select('id')
        .where(sql<boolean>`allowed_origins like ${pattern} escape '\\'`)
        .limit(1)
        .executeTakeFirst();
      if (listed) return true;
      if (!isLoopbackOrigin(origin)) return false;
      const testApplication = await db.selectFrom('applications').select('id').where('environment', '=', 'test').limit(1).executeTakeFirst();
      return testApplication !== undefined;
    },

    async updateApplicationBranding(applicationId, branding) {
      const set = {
        ...(branding.name !== undefined ? { name: branding.name } : {}),
        ...(branding.logoUrl !== undefined ? { logo_url: branding.logoUrl } : {}),
        ...(branding.accentColor !== undefined ? { accent_color: branding.accentColor } : {}),
        ...(branding.isFirstParty !== undefined ? { is_first_party: branding.isFirstParty ? 1 : 0 } : {}),
      };
      if (Object.keys(set).length > 0) await db.updateTable('applications').set(set).where('id', '=', applicationId).execute();
      return getApplication(applicationId);
    },

    async setOrganizationBranding(organizationId, branding) {
      await db
        .updateTable('organizations')
        .set({ display_name: branding.displayName, logo_url: branding.logoUrl, accent_color: branding.accentColor })
        .where('id', '=', organizationId)
        .execute();
    },

    async listApplicationsPage(filter, page) {
      let query = db.selectFrom('applications').selectAll().orderBy('id').limit(page.limit);
      if (filter.organizationId !== undefined) query = query.where('organization_id', '=', filter.organizationId);
      if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
      if (page.after !== null) query = query.where('id', '>', page.after);
      return (await query.execute()).map(toApplication);
    },

    async updateApplication(applicationId, changes) {
      const list = (value: string[]) => JSON.stringify(value);
      const set = {
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.logoUrl !== undefined ? { logo_url: changes.logoUrl } : {}),
        ...(changes.accentColor !== undefined ? { accent_color: changes.accentColor } : {}),
        ...(changes.isFirstParty !== undefined ? { is_first_party: changes.isFirstParty ? 1 : 0 } : {}),
        ...(changes.redirectUris !== undefined ? { redirect_uris: list(changes.redirectUris) } : {}),
        ...(changes.allowedScopes !== undefined ? { allowed_scopes: list(changes.allowedScopes) } : {}),
        ...(changes.allowedOrigins !== undefined ? { allowed_origins: list(changes.allowedOrigins) } : {}),
        ...(changes.postLogoutRedirectUris !== undefined ? { post_logout_redirect_uris: list(changes.postLogoutRedirectUris) } : {}),
        ...(changes.pkcePolicy !== undefined ? { pkce_policy: changes.pkcePolicy } : {}),
        ...(changes.passkeyOrigins !== undefined ? { passkey_origins: list(changes.passkeyOrigins) } : {}),
        ...(changes.requirePushedAuthorizationRequests !== undefined
          ? { require_pushed_authorization_requests: changes.requirePushedAuthorizationRequests ? 1 : 0 } : {}),
        ...(changes.resources !== undefined ? { resources: list(changes.resources) } : {}),
        ...(changes.requireDpop !== undefined ? { require_dpop: changes.requireDpop ? 1 : 0 } : {}),
      };
      // One UPDATE: a reader never sees half of a change.
      if (Object.keys(set).length > 0) await db.updateTable('applications').set(set).where('id', '=', applicationId).execute();
      return getApplication(applicationId);
    },

    async setApplicationDisabledAt(applicationId, disabledAt) {
      await db.updateTable('applications').set({ disabled_at: disabledAt }).where('id', '=', applicationId).execute();
      return getApplication(applicationId);
    },

    addRedirectUri: (applicationId, redirectUri) => appendUri('redirect_uris', applicationId, redirectUri),

    addPostLogoutRedirectUri: (applicationId, uri) => appendUri('post_logout_redirect_uris', applicationId, uri),
  };
}
