import * as v from 'valibot';
import { assertVisible, auditActor } from '../../flows/admin-principal.js';
import { describeClientRegistration, setClientRegistration } from '../../flows/client-registration-settings.js';
import type { FlowDeps } from '../../flows/deps.js';
import type { Route } from '../route.js';
import { parseJsonBody } from '../validate.js';
import { ADMIN_RESPONSES, ADMIN_TAG } from './common.js';

const Mode = v.picklist(['off', 'test', 'live'], 'must be off, test or live');
const ClientRegistrationBody = v.object({
  clientIdMetadataDocuments: Mode,
  dynamicClientRegistration: Mode,
  requiresInitialAccessToken: v.boolean(),
});
const ChangedBody = v.object({
  ...ClientRegistrationBody.entries,
  initialAccessToken: v.optional(v.pipe(v.string(), v.description('Shown once, when the change asked to generate one'))),
});
const ChangeBody = v.object({
  clientIdMetadataDocuments: v.optional(Mode),
  dynamicClientRegistration: v.optional(Mode),
  initialAccessToken: v.optional(v.picklist(['generate', 'none'], 'must be generate or none')),
});
const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError } = ADMIN_RESPONSES;

/** SPEC §13: an organization's switches for clients nobody registered by hand (off by default). */
export function clientRegistrationRoutes(deps: FlowDeps): Route[] {
  return [
    {
      method: 'GET', path: '/admin/v1/organizations/:organizationId/client-registration', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const id = c.req.param('organizationId')!;
        assertVisible(c.get('admin'), id, 'organization');
        return c.json(await describeClientRegistration(deps, id));
      },
      doc: {
        operationId: 'adminGetClientRegistration', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Whether Client ID Metadata Documents and Dynamic Client Registration are on (off, or the environment such clients live in)',
        responses: { 200: { description: 'The switches', schema: ClientRegistrationBody }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'PATCH', path: '/admin/v1/organizations/:organizationId/client-registration', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const id = c.req.param('organizationId')!;
        assertVisible(principal, id, 'organization');
        const change = parseJsonBody(ChangeBody, await c.req.text());
        return c.json(await setClientRegistration(deps, id, change, auditActor(principal)));
      },
      doc: {
        operationId: 'adminSetClientRegistration', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Switch Client ID Metadata Documents and Dynamic Client Registration, like `latchkey orgs set-client-registration`; absent fields are kept. `initialAccessToken: generate` makes registration need a new token (returned once), `none` opens it',
        requestBody: ChangeBody,
        responses: { 200: { description: 'The switches as stored', schema: ChangedBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
  ];
}
