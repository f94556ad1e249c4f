import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { createOrganization } from '../flows/bootstrap.js';
import { BrandingError, setOrganizationBranding } from '../flows/branding.js';
import type { ChannelSettings } from '../delivery/settings.js';
import { InvalidDeliverySettings, setOrganizationDelivery } from '../flows/organization-delivery.js';
import { setClientRegistration, type ClientRegistrationChange } from '../flows/client-registration-settings.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey orgs list|create`. */
export async function runOrgs(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      org: { type: 'string', default: 'default' },
      channel: { type: 'string' },
      development: { type: 'boolean', default: false },
      'smtp-url': { type: 'string' },
      from: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'display-name': { type: 'string' },
      'logo-url': { type: 'string' },
      'accent-color': { type: 'string' },
      'metadata-documents': { type: 'string' },
      'dynamic-registration': { type: 'string' },
      'initial-access-token': { type: 'string' },
    },
  });
  return withRuntime(config, async ({ deps }) => {
    if (sub === 'list') {
      const organizations = await deps.store.listOrganizations();
      print(values.json, organizations, organizations.map((o) => `${o.id}  ${o.name}`).join('\n') || '(none)');
      return 0;
    }
    if (sub === 'create') {
      if (!values.name) throw new UsageError('orgs create needs --name');
      const organization = await createOrganization(deps, values.name);
      print(values.json, organization, `created ${organization.id} (${organization.name})`);
      return 0;
    }
    if (sub === 'set-delivery') {
      const organization = await deps.store.findOrganizationByName(values.org);
      if (!organization) throw new UsageError(`no organization named "${values.org}"`);
      if (values.channel !== 'email' && values.channel !== 'sms') throw new UsageError('--channel must be email or sms');
      const channel = channelSettings(values);
      try {
        await setOrganizationDelivery(deps, organization.id, values.channel, channel);
      } catch (error) {
        if (error instanceof InvalidDeliverySettings) throw new UsageError(error.message);
        throw error;
      }
      // Secrets (SMTP password, webhook secret) are never printed back.
      print(values.json, { organization: organization.name, channel: values.channel, kind: channel.kind }, `${values.channel} delivery of ${organization.name}: ${channel.kind}`);
      return 0;
    }
    if (sub === 'set-branding') {
      const organization = await deps.store.findOrganizationByName(values.org);
      if (!organization) throw new UsageError(`no organization named "${values.org}"`);
      const branding = {
        displayName: values['display-name'] ?? organization.branding.displayName,
        logoUrl: values['logo-url'] ?? organization.branding.logoUrl,
        accentColor: values['accent-color'] ?? organization.branding.accentColor,
      };
      try {
        await setOrganizationBranding(deps, organization.id, branding);
      } catch (error) {
        if (error instanceof BrandingError) throw new UsageError(error.message);
        throw error;
      }
      print(values.json, { organization: organization.name, ...branding }, `branding of ${organization.name} updated`);
      return 0;
    }
    if (sub === 'set-client-registration') {
      const organization = await deps.store.findOrganizationByName(values.org);
      if (!organization) throw new UsageError(`no organization named "${values.org}"`);
      const result = await setClientRegistration(deps, organization.id, clientRegistrationChange(values));
      const lines = [
        `client registration of ${organization.name}: metadata documents ${result.clientIdMetadataDocuments}, dynamic registration ${result.dynamicClientRegistration}` +
          (result.requiresInitialAccessToken ? ' (initial access token required)' : ''),
        ...(result.initialAccessToken ? [`initial access token (shown once): ${result.initialAccessToken}`] : []),
      ];
      print(values.json, { organization: organization.name, ...result }, lines.join('\n'));
      return 0;
    }
    throw new UsageError('orgs needs one of: list, create, set-delivery, set-branding, set-client-registration');
  });
}

const MODES = ['off', 'test', 'live'] as const;

/** `orgs set-client-registration` options as a change; absent ones are kept. */
function clientRegistrationChange(values: Record<string, string | boolean | undefined>): ClientRegistrationChange {
  const mode = (name: string) => {
    const value = values[name];
    if (value === undefined) return undefined;
    if (!MODES.includes(value as (typeof MODES)[number])) throw new UsageError(`--${name} must be off, test or live`);
    return value as (typeof MODES)[number];
  };
  const token = values['initial-access-token'];
  if (token !== undefined && token !== 'generate' && token !== 'none') throw new UsageError('--initial-access-token must be generate or none');
  return { clientIdMetadataDocuments: mode('metadata-documents'), dynamicClientRegistration: mode('dynamic-registration'), initialAccessToken: token };
}

function channelSettings(values: Record<string, string | boolean | undefined>): ChannelSettings {
  if (values.development) return { kind: 'development' };
  if (values['smtp-url']) {
    return { kind: 'smtp', url: String(values['smtp-url']), from: String(values.from ?? '') };
  }
  if (values['webhook-url']) return { kind: 'webhook', url: String(values['webhook-url']), secret: String(values['webhook-secret'] ?? '') };
  throw new UsageError('set-delivery needs --development, --smtp-url URL --from ADDRESS, or --webhook-url URL --webhook-secret S');
}
