import { sql, type Kysely } from 'kysely';

// SPEC §1: `test` and `live` are separate worlds inside an organization. Consumers get the
// environment they belong to; identities (looked up by triple, email and phone) copy their
// consumer's and are unique per (organization, environment); canonical subjects likewise; a pending
// OTP code is one per (organization, environment, destination). Sessions, grants and codes carry
// `application_id`, and an application's environment never changes, so they belong to it already.
//
// Existing rows take the environment of the application that created them (docs/architecture.md,
// "Environments"): a consumer's is that of the application of its earliest session, exchange code,
// grant or authorization code. A consumer with no such row left (made by `latchkey users create`, or
// its codes and sessions purged) takes that of the consumer it was merged into; otherwise `live`
// when its organization has any live application — a record that may be a live customer's stays out
// of a test key's reach — and `test` when it has none. Sessions, grants and codes that joined a
// consumer to an application of the other environment (possible before this migration) are revoked.
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite migrations run outside a transaction (Kysely: no transactional DDL there); this one
  // rebuilds tables, so it takes one itself. On PostgreSQL the migrator's transaction holds it all.
  if (db.isTransaction) await migrate(db);
  else await db.transaction().execute(migrate);
}

const ENVIRONMENT_CHECK = sql`environment in ('test', 'live')`;

async function migrate(db: Kysely<any>): Promise<void> {
  // The default only fills the rows that exist now; the store always writes the column.
  await db.schema
    .alterTable('consumers')
    .addColumn('environment', 'text', (c) => c.notNull().defaultTo('test').check(ENVIRONMENT_CHECK))
    .execute();
  await backfillConsumers(db);
  await db.schema.dropIndex('consumers_canonical_subject').execute();
  await db.schema
    .createIndex('consumers_canonical_subject')
    .on('consumers')
    .columns(['organization_id', 'environment', 'canonical_subject'])
    .unique()
    .execute();
  await rebuildIdentities(db);
  await rebuildOtpCodes(db);
  await revokeCrossEnvironmentArtefacts(db, Date.now());
}

/** Every row that tells which application a consumer was used with, and when. */
async function collectEvidence(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('environment_evidence')
    .addColumn('consumer_id', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  for (const table of ['sessions', 'exchange_codes', 'grants', 'authorization_codes']) {
    await sql`
      insert into environment_evidence (consumer_id, environment, created_at)
      select t.consumer_id, a.environment, t.created_at
      from ${sql.table(table)} t join applications a on a.id = t.application_id
    `.execute(db);
  }
  await db.schema.createIndex('environment_evidence_consumer').on('environment_evidence').columns(['consumer_id', 'created_at']).execute();
}

async function backfillConsumers(db: Kysely<any>): Promise<void> {
  await collectEvidence(db);
  const hasEvidence = sql`exists (select 1 from environment_evidence ev where ev.consumer_id = consumers.id)`;
  // The earliest use decides; at the same instant, live (the side a mistake must not expose).
  await sql`
    update consumers set environment = (
      select ev.environment from environment_evidence ev
      where ev.consumer_id = consumers.id
      order by ev.created_at, case when ev.environment = 'live' then 0 else 1 end
      limit 1
    )
    where ${hasEvidence}
  `.execute(db);
  await sql`
    update consumers set environment = case
      when exists (select 1 from applications a where a.organization_id = consumers.organization_id and a.environment = 'live') then 'live'
      else 'test'
    end
    where not ${hasEvidence} and merged_into_id is null
  `.execute(db);
  await sql`
    update consumers set environment = coalesce((select target.environment from consumers target where target.id = consumers.merged_into_id), 'live')
    where not ${hasEvidence} and merged_into_id is not null
  `.execute(db);
  await db.schema.dropTable('environment_evidence').execute();
}

/** Identities copy their consumer's environment; the triple is unique per organization and environment. */
async function rebuildIdentities(db: Kysely<any>): Promise<void> {
  // SQLite cannot drop the old table constraint in place: a new table, filled, then renamed.
  await db.schema
    .createTable('identities_next')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('environment', 'text', (c) => c.notNull().check(ENVIRONMENT_CHECK))
    .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('identities_pool_triple', ['organization_id', 'environment', 'provider', 'issuer', 'subject'])
    .execute();
  await sql`
    insert into identities_next (id, organization_id, environment, consumer_id, provider, issuer, subject, created_at)
    select i.id, i.organization_id, c.environment, i.consumer_id, i.provider, i.issuer, i.subject, i.created_at
    from identities i join consumers c on c.id = i.consumer_id
  `.execute(db);
  await db.schema.dropTable('identities').execute();
  await db.schema.alterTable('identities_next').renameTo('identities').execute();
  await db.schema.createIndex('identities_consumer').on('identities').column('consumer_id').execute();
}

/** A pending code is one per organization, environment and destination; it keeps its application's environment. */
async function rebuildOtpCodes(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('otp_codes_next')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull().check(ENVIRONMENT_CHECK))
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('otp_codes_pool_pk', ['organization_id', 'environment', 'destination'])
    .execute();
  await sql`
    insert into otp_codes_next (organization_id, environment, destination, channel, application_id, code_hash, name, created_at, expires_at, attempts, consumed_at)
    select o.organization_id, a.environment, o.destination, o.channel, o.application_id, o.code_hash, o.name, o.created_at, o.expires_at, o.attempts, o.consumed_at
    from otp_codes o join applications a on a.id = o.application_id
  `.execute(db);
  await db.schema.dropTable('otp_codes').execute();
  await db.schema.alterTable('otp_codes_next').renameTo('otp_codes').execute();
  await db.schema.createIndex('otp_codes_expires').on('otp_codes').column('expires_at').execute();
}

/**
 * Before this migration a key of one environment could sign into a consumer of the other; what that
 * left behind — sessions with their refresh tokens, grants, unused codes — ends now.
 */
async function revokeCrossEnvironmentArtefacts(db: Kysely<any>, now: number): Promise<void> {
  const crossing = (table: string) => sql`
    select t.id from ${sql.table(table)} t
    join consumers c on c.id = t.consumer_id
    join applications a on a.id = t.application_id
    where a.environment <> c.environment
  `;
  await sql`update refresh_tokens set revoked_at = ${now} where revoked_at is null and session_id in (${crossing('sessions')})`.execute(db);
  await sql`update sessions set revoked_at = ${now} where revoked_at is null and id in (${crossing('sessions')})`.execute(db);
  await sql`update grants set revoked_at = ${now} where revoked_at is null and id in (${crossing('grants')})`.execute(db);
  for (const table of ['exchange_codes', 'authorization_codes']) {
    await sql`
      update ${sql.table(table)} set consumed_at = ${now}
      where consumed_at is null and code_hash in (
        select t.code_hash from ${sql.table(table)} t
        join consumers c on c.id = t.consumer_id
        join applications a on a.id = t.application_id
        where a.environment <> c.environment
      )
    `.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.isTransaction) await revert(db);
  else await db.transaction().execute(revert);
}

// Going back merges the worlds again: it fails when one identity triple or canonical subject exists
// in both environments, which is what the old unique keys forbid.
async function revert(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('otp_codes_previous')
    .addColumn('organization_id', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('otp_codes_pk', ['organization_id', 'destination'])
    .execute();
  await db.schema.dropTable('otp_codes').execute();
  await db.schema.alterTable('otp_codes_previous').renameTo('otp_codes').execute();
  await db.schema.createIndex('otp_codes_expires').on('otp_codes').column('expires_at').execute();
  await db.schema
    .createTable('identities_previous')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('consumer_id', 'text', (c) => c.notNull().references('consumers.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('identities_triple', ['organization_id', 'provider', 'issuer', 'subject'])
    .execute();
  await sql`
    insert into identities_previous (id, organization_id, consumer_id, provider, issuer, subject, created_at)
    select id, organization_id, consumer_id, provider, issuer, subject, created_at from identities
  `.execute(db);
  await db.schema.dropTable('identities').execute();
  await db.schema.alterTable('identities_previous').renameTo('identities').execute();
  await db.schema.createIndex('identities_consumer').on('identities').column('consumer_id').execute();
  await db.schema.dropIndex('consumers_canonical_subject').execute();
  await db.schema.createIndex('consumers_canonical_subject').on('consumers').columns(['organization_id', 'canonical_subject']).unique().execute();
  await db.schema.alterTable('consumers').dropColumn('environment').execute();
}
