import type { Context } from 'hono';
import * as v from 'valibot';
import { assertVisible, auditActor, organizationScope, type AdminPrincipal } from '../../flows/admin-principal.js';
import {
  adminEmail, adminPhone, describeConsumerDetails, disableConsumer, enableConsumer, eraseConsumer, getConsumer, listConsumerGrants, listConsumerSessions,
  listConsumers, revokeConsumerGrant, revokeConsumerSession, updateConsumer,
} from '../../flows/consumers-admin.js';
import type { FlowDeps } from '../../flows/deps.js';
import { listPasskeys, removePasskey } from '../../flows/passkeys.js';
import { describeSecondFactors, removeTotpByOperator } from '../../flows/totp.js';
import { UserAdminError, UserConflictError, createUser, setConsumerPassword } from '../../flows/users.js';
import { Conflict, InvalidInput, NotFound } from '../../protocol/errors.js';
import type { AppEnv } from '../env.js';
import type { Route } from '../route.js';
import { parseJsonBody, parseQuery } from '../validate.js';
import { PasskeyBody } from '../schemas/passkeys.js';
import { ADMIN_RESPONSES, ADMIN_TAG, NullableTime } from './common.js';
import { PAGE_QUERY, pageBody, pageBodySchema, pageRequest } from './paging.js';

// SPEC §10 consumers (users) resource: customer support through the admin API. Every handler
// calls the flow the CLI calls (flows/users.ts) or the consumer admin flows; none touches the store.

type ConsumerRecord = Awaited<ReturnType<typeof getConsumer>>;
type Identity = Awaited<ReturnType<typeof describeConsumerDetails>>['identities'][number];
type SessionRecord = Awaited<ReturnType<typeof revokeConsumerSession>>;
type GrantRecord = Awaited<ReturnType<typeof revokeConsumerGrant>>;

const Environment = v.picklist(['test', 'live']);
const SecondFactorBody = v.variant('type', [
  v.object({ type: v.literal('totp'), enabledAt: v.string() }),
  v.object({ type: v.literal('sms'), phone: v.string() }),
]);
/** SPEC §12: an operator's view of a person's second factors (never a secret). */
const SecondFactorsBody = v.object({
  secondFactors: v.array(v.variant('type', [
    v.object({ type: v.literal('totp'), enabledAt: v.string(), recoveryCodesRemaining: v.number() }),
    v.object({ type: v.literal('sms'), phone: v.string() }),
  ])),
  isTotpEnrollmentPending: v.boolean(),
});
const IdentityBody = v.object({ provider: v.string(), issuer: v.string(), subject: v.string() });

export const ConsumerBody = v.object({
  id: v.string(),
  organizationId: v.string(),
  environment: Environment,
  type: v.picklist(['guest', 'authenticated']),
  email: v.nullable(v.string()),
  phone: v.nullable(v.string()),
  fullName: v.nullable(v.string()),
  canonicalSubject: v.nullable(v.string()),
  emailVerifiedAt: NullableTime,
  phoneVerifiedAt: NullableTime,
  /** The consumer that speaks for this one (an absorbed guest), or null. */
  mergedIntoId: v.nullable(v.string()),
  secondFactors: v.array(SecondFactorBody),
  createdAt: v.string(),
  updatedAt: v.string(),
  disabledAt: NullableTime,
});
const ConsumerDetailsBody = v.object({ ...ConsumerBody.entries, identities: v.array(IdentityBody) });
const SessionBody = v.object({
  id: v.string(), kind: v.picklist(['consumer', 'login', 'oauth']), type: v.picklist(['guest', 'authenticated']), applicationId: v.string(),
  grantId: v.nullable(v.string()), scope: v.nullable(v.string()), createdAt: v.string(), revokedAt: NullableTime,
});
const GrantBody = v.object({ id: v.string(), applicationId: v.string(), scope: v.string(), createdAt: v.string(), updatedAt: v.string(), revokedAt: NullableTime });
const ErasureBody = v.object({
  pseudonym: v.pipe(v.string(), v.description('What the person\'s anonymised audit events carry as consumerId now')),
  erased: v.record(v.string(), v.number()),
});

const ListQuery = v.object({
  ...PAGE_QUERY,
  organizationId: v.optional(v.pipe(v.string(), v.maxLength(100))),
  environment: v.optional(Environment),
  email: v.optional(v.pipe(v.string(), v.maxLength(320))),
  phone: v.optional(v.pipe(v.string(), v.maxLength(40))),
  identityProvider: v.optional(v.pipe(v.string(), v.maxLength(200), v.description('With identityIssuer and identitySubject: the consumer of that external identity'))),
  identityIssuer: v.optional(v.pipe(v.string(), v.maxLength(500))),
  identitySubject: v.optional(v.pipe(v.string(), v.maxLength(500))),
});
const PagedQuery = v.object({ ...PAGE_QUERY });
const Password = v.pipe(v.string(), v.maxLength(1024));
const CreateBody = v.object({
  organizationId: v.optional(v.pipe(v.string(), v.description('Required with an all-organizations token; an organization\'s token creates in its own'))),
  environment: v.optional(Environment, 'test'),
  email: v.pipe(v.string(), v.maxLength(320)),
  password: Password,
  phone: v.optional(v.pipe(v.string(), v.maxLength(40), v.description('E.164; turns on the SMS second factor'))),
  fullName: v.optional(v.pipe(v.string(), v.maxLength(200))),
});
const UpdateBody = v.object({
  email: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(320)))),
  phone: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(40)))),
  fullName: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(200)))),
});
const PasswordBody = v.object({ password: Password });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function describeConsumer(consumer: ConsumerRecord): v.InferOutput<typeof ConsumerBody> {
  return {
    id: consumer.id, organizationId: consumer.organizationId, environment: consumer.environment, type: consumer.type,
    email: consumer.email, phone: consumer.phone, fullName: consumer.fullName, canonicalSubject: consumer.canonicalSubject,
    emailVerifiedAt: iso(consumer.emailVerifiedAt), phoneVerifiedAt: iso(consumer.phoneVerifiedAt), mergedIntoId: consumer.mergedIntoId,
    secondFactors: [
      ...(consumer.totpEnabledAt !== null ? [{ type: 'totp' as const, enabledAt: iso(consumer.totpEnabledAt)! }] : []),
      ...(consumer.secondFactor === 'sms' && consumer.phone ? [{ type: 'sms' as const, phone: consumer.phone }] : []),
    ],
    createdAt: iso(consumer.createdAt)!, updatedAt: iso(consumer.updatedAt)!, disabledAt: iso(consumer.disabledAt),
  };
}

const describeIdentity = (identity: Identity) => ({ provider: identity.provider, issuer: identity.issuer, subject: identity.subject });

const describeSession = (session: SessionRecord) => ({
  id: session.id, kind: session.kind, type: session.type, applicationId: session.applicationId, grantId: session.grantId, scope: session.scope,
  createdAt: iso(session.createdAt)!, revokedAt: iso(session.revokedAt),
});

const describeGrant = (grant: GrantRecord) => ({
  id: grant.id, applicationId: grant.applicationId, scope: grant.scope, createdAt: iso(grant.createdAt)!, updatedAt: iso(grant.updatedAt)!, revokedAt: iso(grant.revokedAt),
});

/** The consumer of the path, 404 when there is none or the token does not see its organization. */
async function visibleConsumer(deps: FlowDeps, c: Context<AppEnv>): Promise<ConsumerRecord> {
  const consumer = await getConsumer(deps, c.req.param('consumerId')!);
  assertVisible(c.get('admin'), consumer.organizationId, 'consumer');
  return consumer;
}

/** `users create` / `users set-password` refusals (written for the CLI) as admin API errors. */
async function asUserInput<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof UserConflictError) throw new Conflict(error.message, { cause: error });
    if (error instanceof UserAdminError) throw new InvalidInput(error.message, { cause: error });
    throw error;
  }
}

/** The organization a list or a create is about: the token's own, or (all-organizations token) the one asked for. */
function organizationOf(principal: AdminPrincipal, asked: string | undefined): string | undefined {
  const scope = organizationScope(principal);
  // Another organization than the token's is answered as one that does not exist.
  if (scope !== undefined && asked !== undefined && asked !== scope) throw new NotFound('no such organization');
  return scope ?? asked;
}

function identityFilter(query: v.InferOutput<typeof ListQuery>) {
  const parts = [query.identityProvider, query.identityIssuer, query.identitySubject];
  if (parts.every((part) => part === undefined)) return {};
  if (parts.some((part) => part === undefined)) throw new InvalidInput('an identity search needs identityProvider, identityIssuer and identitySubject');
  return { identity: { provider: query.identityProvider!, issuer: query.identityIssuer!, subject: query.identitySubject! } };
}

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 500: internalError } = ADMIN_RESPONSES;
const doc = { tag: ADMIN_TAG, credential: 'adminToken' } as const;
const consumerPath = '/admin/v1/consumers/:consumerId';

/** SPEC §10 consumers: list and search, create, read, update, disable/enable, erase, password, sessions, grants. */
export function consumerRoutes(deps: FlowDeps): Route[] {
  /** A change of one visible consumer, answered with the consumer as stored afterwards. */
  const change = (work: (consumer: ConsumerRecord, c: Context<AppEnv>) => Promise<ConsumerRecord>) => async (c: Context<AppEnv>) =>
    c.json(describeConsumer(await work(await visibleConsumer(deps, c), c)));

  return [
    {
      method: 'GET', path: '/admin/v1/consumers', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(ListQuery, c.req.query());
        const organizationId = organizationOf(c.get('admin'), query.organizationId);
        const page = await listConsumers(deps, {
          ...(organizationId !== undefined ? { organizationId } : {}),
          ...(query.environment !== undefined ? { environment: query.environment } : {}),
          ...(query.email !== undefined ? { email: adminEmail(query.email) } : {}),
          ...(query.phone !== undefined ? { phone: adminPhone(query.phone) } : {}),
          ...identityFilter(query),
        }, pageRequest(query));
        return c.json(pageBody(page, describeConsumer));
      },
      doc: {
        ...doc, operationId: 'adminListConsumers',
        summary: 'List consumers in creation order, searched by email, phone or external identity (all three identity fields together); an organization\'s token sees its own only',
        query: ListQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(ConsumerBody) }, 400: badRequest, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/consumers', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const body = parseJsonBody(CreateBody, await c.req.text());
        const organizationId = organizationOf(c.get('admin'), body.organizationId);
        if (organizationId === undefined) throw new InvalidInput('organizationId is required with an all-organizations token');
        const consumer = await asUserInput(createUser(deps, {
          organizationId, environment: body.environment, email: body.email, password: body.password,
          ...(body.phone !== undefined ? { phone: body.phone } : {}), ...(body.fullName !== undefined ? { fullName: body.fullName } : {}),
        }, auditActor(c.get('admin'))));
        return c.json(describeConsumer(consumer), 201);
      },
      doc: {
        ...doc, operationId: 'adminCreateConsumer',
        summary: 'Create a user with email and password (and a phone for the SMS second factor), as `latchkey users create` does',
        requestBody: CreateBody,
        responses: { 201: { description: 'The user', schema: ConsumerBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 500: internalError },
      },
    },
    {
      method: 'GET', path: consumerPath, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const { consumer, identities } = await describeConsumerDetails(deps, await visibleConsumer(deps, c));
        return c.json({ ...describeConsumer(consumer), identities: identities.map(describeIdentity) });
      },
      doc: {
        ...doc, operationId: 'adminGetConsumer', summary: 'One consumer with its identities and second factors',
        responses: { 200: { description: 'The consumer', schema: ConsumerDetailsBody }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'PATCH', path: consumerPath, isBrowserFacing: false, middleware: [],
      handler: change(async (consumer, c) => updateConsumer(deps, consumer, parseJsonBody(UpdateBody, await c.req.text()), auditActor(c.get('admin')))),
      doc: {
        ...doc, operationId: 'adminUpdateConsumer',
        summary: 'Change email, phone or full name (null clears); the email and phone sign-in identities follow, and a changed address is unverified',
        requestBody: UpdateBody,
        responses: { 200: { description: 'The consumer', schema: ConsumerBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 500: internalError },
      },
    },
    {
      method: 'DELETE', path: consumerPath, isBrowserFacing: false, middleware: [],
      handler: async (c) => c.json(await eraseConsumer(deps, await visibleConsumer(deps, c), auditActor(c.get('admin')))),
      doc: {
        ...doc, operationId: 'adminEraseConsumer',
        summary: 'Erase the person (GDPR art. 17): every row of theirs goes in one transaction; their audit events stay, anonymised under a pseudonym',
        responses: { 200: { description: 'What was erased', schema: ErasureBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${consumerPath}/password`, isBrowserFacing: false, middleware: [],
      handler: change(async (consumer, c) => asUserInput(setConsumerPassword(deps, consumer, parseJsonBody(PasswordBody, await c.req.text()).password, auditActor(c.get('admin'))))),
      doc: {
        ...doc, operationId: 'adminSetConsumerPassword', summary: 'Set the password, as `latchkey users set-password` does (at least 8 characters; the user needs an email)',
        requestBody: PasswordBody,
        responses: { 200: { description: 'The consumer', schema: ConsumerBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${consumerPath}/disable`, isBrowserFacing: false, middleware: [],
      handler: change((consumer, c) => disableConsumer(deps, consumer, auditActor(c.get('admin')))),
      doc: {
        ...doc, operationId: 'adminDisableConsumer',
        summary: 'Disable: every session ends at once (their access and refresh tokens stop working) and every sign-in is refused (403 consumer_disabled) until enabled',
        responses: { 200: { description: 'The consumer', schema: ConsumerBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${consumerPath}/enable`, isBrowserFacing: false, middleware: [],
      handler: change((consumer, c) => enableConsumer(deps, consumer, auditActor(c.get('admin')))),
      doc: {
        ...doc, operationId: 'adminEnableConsumer', summary: 'Enable a disabled consumer: sign-ins work again (ended sessions stay ended)',
        responses: { 200: { description: 'The consumer', schema: ConsumerBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: `${consumerPath}/second-factors`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const consumer = await visibleConsumer(deps, c);
        const { secondFactors, isTotpEnrollmentPending } = await describeSecondFactors(deps, consumer);
        // The operator sees the phone in full, as in the consumer body.
        const full = secondFactors.map((factor) => (factor.type === 'sms' ? { type: 'sms' as const, phone: consumer.phone! } : factor));
        return c.json({ secondFactors: full, isTotpEnrollmentPending });
      },
      doc: {
        ...doc, operationId: 'adminListConsumerSecondFactors',
        summary: 'The person\'s second factors (SPEC §12): authenticator app (with how many recovery codes are left) and SMS — never a secret',
        responses: { 200: { description: 'Second factors', schema: SecondFactorsBody }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'DELETE', path: `${consumerPath}/second-factors/totp`, isBrowserFacing: false, middleware: [],
      handler: change(async (consumer, c) => {
        if (!(await removeTotpByOperator(deps, consumer, auditActor(c.get('admin'))))) throw new NotFound('this consumer has no authenticator app');
        return getConsumer(deps, consumer.id);
      }),
      doc: {
        ...doc, operationId: 'adminRemoveConsumerTotp',
        summary: 'Remove the person\'s authenticator app (TOTP) and recovery codes — for someone who lost both; sign-in then asks for their other factors only',
        responses: { 200: { description: 'The consumer', schema: ConsumerBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: `${consumerPath}/sessions`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(PagedQuery, c.req.query());
        return c.json(pageBody(await listConsumerSessions(deps, await visibleConsumer(deps, c), pageRequest(query)), describeSession));
      },
      doc: {
        ...doc, operationId: 'adminListConsumerSessions', summary: 'The consumer\'s sessions (consumer API, login tokens, OAuth token families), revoked ones included',
        query: PagedQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(SessionBody) }, 400: badRequest, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${consumerPath}/sessions/:sessionId/revoke`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const consumer = await visibleConsumer(deps, c);
        return c.json(describeSession(await revokeConsumerSession(deps, consumer, c.req.param('sessionId')!, auditActor(c.get('admin')))));
      },
      doc: {
        ...doc, operationId: 'adminRevokeConsumerSession', summary: 'Revoke one session with its refresh tokens: its access tokens stop working at once',
        responses: { 200: { description: 'The session, revoked', schema: SessionBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: `${consumerPath}/grants`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(PagedQuery, c.req.query());
        return c.json(pageBody(await listConsumerGrants(deps, await visibleConsumer(deps, c), pageRequest(query)), describeGrant));
      },
      doc: {
        ...doc, operationId: 'adminListConsumerGrants', summary: 'The consumer\'s OAuth grants to applications, revoked ones included',
        query: PagedQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(GrantBody) }, 400: badRequest, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: `${consumerPath}/grants/:grantId/revoke`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const consumer = await visibleConsumer(deps, c);
        return c.json(describeGrant(await revokeConsumerGrant(deps, consumer, c.req.param('grantId')!, auditActor(c.get('admin')))));
      },
      doc: {
        ...doc, operationId: 'adminRevokeConsumerGrant',
        summary: 'Revoke one grant and every token family under it, as DELETE /v1/auth/oauth/revoke does',
        responses: { 200: { description: 'The grant, revoked', schema: GrantBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: `${consumerPath}/passkeys`, isBrowserFacing: false, middleware: [],
      handler: async (c) => c.json({ data: await listPasskeys(deps, await visibleConsumer(deps, c)) }),
      doc: {
        ...doc, operationId: 'adminListConsumerPasskeys', summary: 'The consumer\'s passkeys (SPEC §12), oldest first: name, device type, backup state, last use — never the public key',
        responses: { 200: { description: 'Every passkey of the consumer', schema: v.object({ data: v.array(PasskeyBody) }) }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'DELETE', path: `${consumerPath}/passkeys/:passkeyId`, isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        await removePasskey(deps, await visibleConsumer(deps, c), c.req.param('passkeyId')!, { actor: auditActor(c.get('admin')) });
        return c.body(null, 204);
      },
      doc: {
        ...doc, operationId: 'adminDeleteConsumerPasskey', summary: 'Remove one passkey of the consumer (a lost or compromised device): it signs in nowhere from now on',
        responses: { 204: { description: 'Removed' }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
  ];
}
