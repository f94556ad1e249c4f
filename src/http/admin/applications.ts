import * as v from 'valibot';
import { assertVisible, auditActor, organizationScope, type AdminPrincipal } from '../../flows/admin-principal.js';
import {
  createApplication, describeApplication, disableApplication, enableApplication, getApplication, listApplications, rotateApplicationSecret,
  updateApplication,
} from '../../flows/applications.js';
import type { FlowDeps } from '../../flows/deps.js';
import { InvalidInput } from '../../protocol/errors.js';
import type { Route } from '../route.js';
import { text } from '../schemas/common.js';
import { parseJsonBody, parseQuery } from '../validate.js';
import { ADMIN_RESPONSES, ADMIN_TAG, NullableTime, asAdminInput } from './common.js';
import { PAGE_QUERY, pageBody, pageBodySchema, pageRequest } from './paging.js';

const Environment = v.picklist(['test', 'live']);
const Pkce = v.picklist(['required', 'optional']);
// Bounded lists of bounded, storable strings (no U+0000: PostgreSQL text cannot hold it). Each entry is
// checked by the flow (redirectUriProblem, origins, scope tokens); these bounds keep a body small.
const UriList = v.pipe(v.array(text(1, 2000)), v.maxLength(100));
const ScopeList = v.pipe(v.array(text(1, 200)), v.maxLength(100));
const Name = text(1, 100);
const LogoUrl = v.nullable(v.pipe(text(1, 2000), v.description('https URL; null removes it')));
const AccentColor = v.nullable(v.pipe(text(1, 7), v.description('#rrggbb; null removes it')));

/** An application as the admin API and `latchkey apps … --json` show it; never a secret. */
export const ApplicationBody = v.object({
  id: v.string(),
  organizationId: v.string(),
  name: v.string(),
  publishableKey: v.string(),
  type: v.picklist(['confidential', 'public']),
  environment: Environment,
  redirectUris: v.array(v.string()),
  allowedScopes: v.array(v.string()),
  allowedOrigins: v.array(v.string()),
  logoUrl: v.nullable(v.string()),
  accentColor: v.nullable(v.string()),
  isFirstParty: v.boolean(),
  pkce: Pkce,
  postLogoutRedirectUris: v.array(v.string()),
  accessTokenAlg: v.picklist(['EdDSA', 'RS256']),
  passkeyOrigins: v.pipe(v.array(v.string()), v.description('SPEC §12: origins besides the issuer\'s whose pages may run passkey ceremonies through the APIs')),
  requirePushedAuthorizationRequests: v.pipe(v.boolean(), v.description('RFC 9126 §6: authorization requests only through PAR')),
  requireDpop: v.pipe(v.boolean(), v.description('SPEC §13, RFC 9449: its token requests must carry a DPoP proof')),
  resources: v.pipe(v.array(v.string()), v.description('RFC 8707: the resource indicators (absolute URIs) its tokens may be asked for')),
  registration: v.pipe(v.picklist(['manual', 'metadata_document', 'dynamic']), v.description('SPEC §13: made by hand, or a client nobody registered (a Client ID Metadata Document URL, Dynamic Client Registration)')),
  createdAt: v.string(),
  disabledAt: NullableTime,
});

/** The options of `latchkey apps create`, by the names the application is shown with. Unknown fields → 400. */
const CreateBody = v.strictObject({
  organizationId: v.optional(v.pipe(text(1, 100), v.description("default: the token's organization; required with an all-organizations token"))),
  name: Name,
  type: v.optional(v.picklist(['confidential', 'public']), 'confidential'),
  environment: v.optional(Environment, 'test'),
  redirectUris: v.optional(UriList),
  allowedScopes: v.optional(v.pipe(ScopeList, v.description('default: openid profile email phone address offline_access'))),
  allowedOrigins: v.optional(UriList),
  pkce: v.optional(Pkce, 'required'),
  postLogoutRedirectUris: v.optional(UriList),
  accessTokenAlg: v.optional(v.picklist(['EdDSA', 'RS256']), 'EdDSA'),
  logoUrl: v.optional(LogoUrl),
  accentColor: v.optional(AccentColor),
  isFirstParty: v.optional(v.boolean()),
  passkeyOrigins: v.optional(UriList),
  requirePushedAuthorizationRequests: v.optional(v.boolean()),
  requireDpop: v.optional(v.boolean()),
  resources: v.optional(UriList),
});

/** What may change (SPEC §10). A list replaces the stored one whole; an absent field stays. Unknown fields (type, environment, …) → 400. */
const UpdateBody = v.strictObject({
  name: v.optional(Name),
  logoUrl: v.optional(LogoUrl),
  accentColor: v.optional(AccentColor),
  isFirstParty: v.optional(v.boolean()),
  redirectUris: v.optional(UriList),
  allowedScopes: v.optional(v.pipe(ScopeList, v.minLength(1, 'an application needs at least one scope'))),
  allowedOrigins: v.optional(UriList),
  postLogoutRedirectUris: v.optional(UriList),
  pkce: v.optional(Pkce),
  passkeyOrigins: v.optional(UriList),
  requirePushedAuthorizationRequests: v.optional(v.boolean()),
  requireDpop: v.optional(v.boolean()),
  resources: v.optional(UriList),
});

const CreatedBody = v.object({ ...ApplicationBody.entries, secretKey: v.pipe(v.string(), v.description('sk_…: shown only in this answer')) });
const RotatedBody = v.object({
  id: v.string(),
  secretKey: v.pipe(v.string(), v.description('sk_…: shown only in this answer')),
  previousSecretValidForSeconds: v.pipe(v.number(), v.description('how long the older secrets keep working (LATCHKEY_SECRET_OVERLAP_SECONDS)')),
});

const ListQuery = v.object({
  ...PAGE_QUERY,
  organizationId: v.optional(v.pipe(text(1, 100), v.description("only this organization's (an organization's token sees only its own)"))),
  environment: v.optional(Environment),
});

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError } = ADMIN_RESPONSES;

/** The organization a new application goes to: the body's, else the token's own; one the token does not see → 404. */
function targetOrganization(principal: AdminPrincipal, requested: string | undefined): string {
  const organizationId = requested ?? principal.organizationId;
  if (organizationId === null) throw new InvalidInput('organizationId is required with an all-organizations admin token');
  assertVisible(principal, organizationId, 'organization');
  return organizationId;
}

/**
 * Applications over the admin API (SPEC §10, issue 17). One flat collection: create takes the
 * organization in its body (an organization's token may leave it out), list filters by it. Every
 * handler calls the flows `latchkey apps` calls, with the admin token as the audit actor. Another
 * organization's application answers 404, as an unknown id does.
 */
export function applicationRoutes(deps: FlowDeps): Route[] {
  /** The application of the path, if the token sees it; 404 otherwise. */
  const visible = async (principal: AdminPrincipal, applicationId: string) => {
    const application = await getApplication(deps, applicationId);
    assertVisible(principal, application.organizationId, 'application');
    return application;
  };
  return [
    {
      method: 'POST', path: '/admin/v1/applications', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const body = parseJsonBody(CreateBody, await c.req.text());
        const principal = c.get('admin');
        const { application, secretKey } = await asAdminInput(createApplication(deps, {
          organizationId: targetOrganization(principal, body.organizationId),
          name: body.name,
          type: body.type,
          environment: body.environment,
          redirectUris: body.redirectUris,
          allowedScopes: body.allowedScopes,
          allowedOrigins: body.allowedOrigins,
          pkcePolicy: body.pkce,
          postLogoutRedirectUris: body.postLogoutRedirectUris,
          accessTokenAlg: body.accessTokenAlg,
          logoUrl: body.logoUrl,
          accentColor: body.accentColor,
          isFirstParty: body.isFirstParty,
          passkeyOrigins: body.passkeyOrigins,
          requirePushedAuthorizationRequests: body.requirePushedAuthorizationRequests,
          requireDpop: body.requireDpop,
          resources: body.resources,
        }, auditActor(principal)));
        return c.json({ ...describeApplication(application), secretKey }, 201);
      },
      doc: {
        operationId: 'adminCreateApplication', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Create an application (the options of latchkey apps create); its secret key is in this answer only',
        requestBody: CreateBody,
        responses: { 201: { description: 'Created, with its secret key', schema: CreatedBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/admin/v1/applications', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(ListQuery, c.req.query());
        const scope = organizationScope(c.get('admin'));
        // An organization's token asking for another organization's applications sees none of them.
        if (scope !== undefined && query.organizationId !== undefined && query.organizationId !== scope) return c.json({ data: [], nextCursor: null });
        const organizationId = scope ?? query.organizationId;
        const page = await listApplications(deps, {
          ...(organizationId !== undefined ? { organizationId } : {}),
          ...(query.environment !== undefined ? { environment: query.environment } : {}),
        }, pageRequest(query));
        return c.json(pageBody(page, describeApplication));
      },
      doc: {
        operationId: 'adminListApplications', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'List applications in creation order (disabled ones too), filtered by organization and environment; never a secret',
        query: ListQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(ApplicationBody) }, 400: badRequest, 401: unauthorized, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/admin/v1/applications/:applicationId', isBrowserFacing: false, middleware: [],
      handler: async (c) => c.json(describeApplication(await visible(c.get('admin'), c.req.param('applicationId')!))),
      doc: {
        operationId: 'adminGetApplication', tag: ADMIN_TAG, credential: 'adminToken', summary: 'One application; never its secret',
        responses: { 200: { description: 'The application', schema: ApplicationBody }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'PATCH', path: '/admin/v1/applications/:applicationId', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const { id } = await visible(principal, c.req.param('applicationId')!);
        const body = parseJsonBody(UpdateBody, await c.req.text());
        const { pkce, ...rest } = body;
        const updated = await asAdminInput(updateApplication(deps, id, { ...rest, ...(pkce !== undefined ? { pkcePolicy: pkce } : {}) }, auditActor(principal)));
        return c.json(describeApplication(updated));
      },
      doc: {
        operationId: 'adminUpdateApplication', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Change name, branding, scopes, redirect URIs, origins, post-logout redirect URIs, PKCE policy, the PAR requirement, the resources or whether DPoP is required (a list replaces the stored list)',
        requestBody: UpdateBody,
        responses: { 200: { description: 'The application, changed', schema: ApplicationBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/applications/:applicationId/rotate-secret', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const { id } = await visible(principal, c.req.param('applicationId')!);
        const rotated = (await rotateApplicationSecret(deps, id, auditActor(principal)))!;
        return c.json({ id: rotated.application.id, secretKey: rotated.secretKey, previousSecretValidForSeconds: deps.secretOverlapSeconds });
      },
      doc: {
        operationId: 'adminRotateApplicationSecret', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Issue a new secret key (in this answer only); older secrets keep working for the configured overlap (default 0: they stop at once)',
        responses: { 200: { description: 'The new secret key', schema: RotatedBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/applications/:applicationId/disable', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const { id } = await visible(principal, c.req.param('applicationId')!);
        return c.json(describeApplication(await disableApplication(deps, id, auditActor(principal))));
      },
      doc: {
        operationId: 'adminDisableApplication', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Disable an application: at once its keys, its hosted pages, its refresh tokens and its live access tokens are refused (idempotent)',
        responses: { 200: { description: 'The application, disabled', schema: ApplicationBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/applications/:applicationId/enable', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const { id } = await visible(principal, c.req.param('applicationId')!);
        return c.json(describeApplication(await enableApplication(deps, id, auditActor(principal))));
      },
      doc: {
        operationId: 'adminEnableApplication', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Undo disable: keys and unexpired tokens work again (idempotent)',
        responses: { 200: { description: 'The application, enabled', schema: ApplicationBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
  ];
}
