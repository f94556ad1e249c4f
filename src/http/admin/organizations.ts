import * as v from 'valibot';
import { assertAllOrganizations, assertVisible, auditActor, organizationScope } from '../../flows/admin-principal.js';
import type { FlowDeps } from '../../flows/deps.js';
import { ChannelSettingsSchema, InvalidDeliverySettings, describeOrganizationDelivery, setOrganizationDelivery } from '../../flows/organization-delivery.js';
import { createNamedOrganization, describeOrganization, getOrganization, listOrganizations, updateOrganizationBranding } from '../../flows/organizations.js';
import { InvalidInput } from '../../protocol/errors.js';
import type { Route } from '../route.js';
import { parseJsonBody, parseQuery } from '../validate.js';
import { ADMIN_RESPONSES, ADMIN_TAG } from './common.js';
import { PAGE_QUERY, pageBody, pageBodySchema, pageRequest } from './paging.js';

const Nullable = (schema: v.GenericSchema<string>) => v.optional(v.nullable(schema));
const Branding = {
  displayName: Nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(100))),
  logoUrl: Nullable(v.pipe(v.string(), v.maxLength(2000))),
  accentColor: Nullable(v.pipe(v.string(), v.regex(/^#[0-9a-fA-F]{6}$/, 'accentColor must be #rrggbb'))),
};

export const OrganizationBody = v.object({
  id: v.string(),
  name: v.string(),
  displayName: v.nullable(v.string()),
  logoUrl: v.nullable(v.string()),
  accentColor: v.nullable(v.string()),
  settings: v.record(v.string(), v.number()),
  createdAt: v.string(),
});
const CreateBody = v.object({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'name: lower-case letters, digits and dashes, at most 63')),
  ...Branding,
});
const UpdateBody = v.object(Branding);
/** `latchkey orgs set-delivery` as a body: the channel and its settings (SPEC §5.4). */
const DeliveryBody = v.object({ channel: v.picklist(['email', 'sms']), settings: ChannelSettingsSchema });
/** Which kind each channel uses — never a setting (they hold SMTP passwords and webhook secrets). */
const DeliveryKinds = v.object({ email: v.picklist(['development', 'smtp', 'webhook']), sms: v.picklist(['development', 'smtp', 'webhook']) });
const ListQuery = v.object({ ...PAGE_QUERY });
const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 500: internalError } = ADMIN_RESPONSES;

/** Organizations (SPEC §10): an organization's token sees only its own; only an all-organizations token creates one. */
export function organizationRoutes(deps: FlowDeps): Route[] {
  return [
    {
      method: 'GET', path: '/admin/v1/organizations', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const query = parseQuery(ListQuery, c.req.query());
        const scope = organizationScope(c.get('admin'));
        const page = await listOrganizations(deps, scope === undefined ? {} : { organizationId: scope }, pageRequest(query));
        return c.json(pageBody(page, describeOrganization));
      },
      doc: {
        operationId: 'adminListOrganizations', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'List organizations in creation order (an organization\'s token: its own only)', query: ListQuery,
        responses: { 200: { description: 'One page', schema: pageBodySchema(OrganizationBody) }, 400: badRequest, 401: unauthorized, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/organizations', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        assertAllOrganizations(principal, 'create organizations');
        const { name, ...branding } = parseJsonBody(CreateBody, await c.req.text());
        const organization = await createNamedOrganization(deps, name, auditActor(principal));
        const hasBranding = Object.values(branding).some((value) => value !== undefined);
        const stored = hasBranding ? await updateOrganizationBranding(deps, organization.id, branding, auditActor(principal)) : organization;
        return c.json(describeOrganization(stored), 201);
      },
      doc: {
        operationId: 'adminCreateOrganization', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Create an organization (all-organizations tokens only), like `latchkey orgs create`', requestBody: CreateBody,
        responses: { 201: { description: 'Created', schema: OrganizationBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 409: conflict, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/admin/v1/organizations/:organizationId', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const id = c.req.param('organizationId')!;
        assertVisible(c.get('admin'), id, 'organization');
        return c.json(describeOrganization(await getOrganization(deps, id)));
      },
      doc: {
        operationId: 'adminGetOrganization', tag: ADMIN_TAG, credential: 'adminToken', summary: 'One organization',
        responses: { 200: { description: 'The organization', schema: OrganizationBody }, 401: unauthorized, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'PATCH', path: '/admin/v1/organizations/:organizationId', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const id = c.req.param('organizationId')!;
        assertVisible(principal, id, 'organization');
        const change = parseJsonBody(UpdateBody, await c.req.text());
        return c.json(describeOrganization(await updateOrganizationBranding(deps, id, change, auditActor(principal))));
      },
      doc: {
        operationId: 'adminUpdateOrganization', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Change the display name, logo (https) or accent colour of the hosted pages, like `latchkey orgs set-branding`; absent fields are kept, null clears one',
        requestBody: UpdateBody,
        responses: { 200: { description: 'The organization as stored', schema: OrganizationBody }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'GET', path: '/admin/v1/organizations/:organizationId/delivery', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const id = c.req.param('organizationId')!;
        assertVisible(c.get('admin'), id, 'organization');
        await getOrganization(deps, id);
        return c.json(await describeOrganizationDelivery(deps, id));
      },
      doc: {
        operationId: 'adminGetOrganizationDelivery', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'How each channel\'s one-time passcodes are sent (development, smtp or webhook); the settings themselves are never shown',
        responses: { 200: { description: 'The kind per channel', schema: DeliveryKinds }, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
    {
      method: 'PATCH', path: '/admin/v1/organizations/:organizationId/delivery', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        const id = c.req.param('organizationId')!;
        assertVisible(principal, id, 'organization');
        const { channel, settings } = parseJsonBody(DeliveryBody, await c.req.text());
        await getOrganization(deps, id);
        try {
          await setOrganizationDelivery(deps, id, channel, settings, auditActor(principal));
        } catch (error) {
          if (error instanceof InvalidDeliverySettings) throw new InvalidInput(error.message);
          throw error;
        }
        return c.json(await describeOrganizationDelivery(deps, id));
      },
      doc: {
        operationId: 'adminSetOrganizationDelivery', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Choose how one channel\'s one-time passcodes are sent, like `latchkey orgs set-delivery` (stored sealed; never echoed)',
        requestBody: DeliveryBody,
        responses: { 200: { description: 'The kind per channel', schema: DeliveryKinds }, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 500: internalError },
      },
    },
  ];
}
