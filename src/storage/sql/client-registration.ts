import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Application, ClientRegistrationSettings, Store } from '../store.js';
import { applicationRow, toApplication } from './rows.js';

type ClientRegistrationMethods = Pick<
  Store,
  'getClientRegistrationSettings' | 'setClientRegistrationSettings' | 'createPublicClient' | 'saveMetadataDocumentClient'
>;

/** SPEC §13: organizations' client-registration switches and the clients nobody registered by hand. */
export function clientRegistrationQueries(db: Kysely<Database>): ClientRegistrationMethods {
  return {
    async getClientRegistrationSettings(organizationId) {
      const row = await db
        .selectFrom('organizations')
        .select(['client_id_metadata_documents', 'dynamic_client_registration', 'registration_token_hash'])
        .where('id', '=', organizationId)
        .executeTakeFirst();
      return {
        metadataDocuments: row?.client_id_metadata_documents ?? 'off',
        dynamicRegistration: row?.dynamic_client_registration ?? 'off',
        registrationTokenHash: row?.registration_token_hash ?? null,
      };
    },

    async setClientRegistrationSettings(organizationId, settings: ClientRegistrationSettings) {
      await db
        .updateTable('organizations')
        .set({
          client_id_metadata_documents: settings.metadataDocuments,
          dynamic_client_registration: settings.dynamicRegistration,
          registration_token_hash: settings.registrationTokenHash,
        })
        .where('id', '=', organizationId)
        .execute();
    },

    async createPublicClient(application) {
      await db.insertInto('applications').values(applicationRow(application)).execute();
    },

    async saveMetadataDocumentClient(application) {
      await db
        .insertInto('applications')
        .values(applicationRow(application))
        .onConflict((oc) =>
          oc
            .column('publishable_key')
            .doUpdateSet({
              name: application.name,
              logo_url: application.logoUrl,
              redirect_uris: JSON.stringify(application.redirectUris),
              allowed_scopes: JSON.stringify(application.allowedScopes),
            })
            // Never move a client to another organization, whatever the document says now.
            .where('applications.organization_id', '=', application.organizationId),
        )
        .execute();
      const row = await db.selectFrom('applications').selectAll().where('publishable_key', '=', application.publishableKey).executeTakeFirstOrThrow();
      return toApplication(row);
    },
  };
}
