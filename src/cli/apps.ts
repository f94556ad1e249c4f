import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.js';
import {
  InvalidApplication, addPostLogoutRedirectUri, addRedirectUri, createApplication, describeApplication as describe, disableApplication,
  enableApplication, getApplication, listApplications, rotateApplicationSecret, updateApplication,
} from '../flows/applications.js';
import { BrandingError } from '../flows/branding.js';
import type { FlowDeps } from '../flows/deps.js';
import { NotFound } from '../protocol/errors.js';
import type { Application } from '../storage/store.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** The branding options given on the command line (only those given). */
function brandingOf(values: AppsOptions) {
  return {
    ...(typeof values.name === 'string' ? { name: values.name } : {}),
    ...(typeof values['logo-url'] === 'string' ? { logoUrl: values['logo-url'] || null } : {}),
    ...(typeof values['accent-color'] === 'string' ? { accentColor: values['accent-color'] || null } : {}),
    ...(values['first-party'] ? { isFirstParty: true } : values['third-party'] ? { isFirstParty: false } : {}),
  };
}

/** Every application of an organization, page after page (the admin API's list, SPEC §10). */
async function allApplications(deps: FlowDeps, organizationId: string): Promise<Application[]> {
  const applications: Application[] = [];
  let after: string | null = null;
  do {
    const page = await listApplications(deps, { organizationId }, { after, limit: 200 });
    applications.push(...page.items);
    after = page.nextAfter;
  } while (after !== null);
  return applications;
}

async function organizationId(deps: FlowDeps, name: string): Promise<string> {
  const organization = await deps.store.findOrganizationByName(name);
  if (!organization) throw new UsageError(`no organization named "${name}" (latchkey orgs list)`);
  return organization.id;
}

const OPTIONS = {
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      org: { type: 'string', default: 'default' },
      type: { type: 'string', default: 'confidential' },
      environment: { type: 'string', default: 'test' },
      'redirect-uri': { type: 'string', multiple: true, default: [] as string[] },
      scope: { type: 'string', multiple: true, default: [] as string[] },
      origin: { type: 'string', multiple: true, default: [] as string[] },
      'passkey-origin': { type: 'string', multiple: true, default: [] as string[] },
      id: { type: 'string' },
      'logo-url': { type: 'string' },
      'accent-color': { type: 'string' },
      'first-party': { type: 'boolean' },
      'third-party': { type: 'boolean' },
      pkce: { type: 'string', default: 'required' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] as string[] },
      'access-token-alg': { type: 'string', default: 'EdDSA' },
      'require-pushed-authorization-requests': { type: 'boolean', default: false },
      'require-dpop': { type: 'boolean' },
      'no-require-dpop': { type: 'boolean' },
      resource: { type: 'string', multiple: true, default: [] as string[] },
    } satisfies NonNullable<ParseArgsConfig['options']>;

type AppsOptions = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** `latchkey apps create|list|rotate-secret|add-redirect-uri|add-post-logout-redirect-uri|set-branding|set-dpop|disable|enable`. */
export async function runApps(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({ args, options: OPTIONS });
  const json = values.json;
  return withRuntime(config, async ({ deps }) => {
    try {
      return await runAppsCommand(deps, sub, values, json);
    } catch (error) {
      if (error instanceof InvalidApplication || error instanceof BrandingError || error instanceof NotFound) throw new UsageError(error.message);
      throw error;
    }
  });
}

async function runAppsCommand(deps: FlowDeps, sub: string | undefined, values: AppsOptions, json: boolean): Promise<number> {
  {
    switch (sub) {
      case 'create': {
        if (!values.name) throw new UsageError('apps create needs --name');
        if (values.type !== 'confidential' && values.type !== 'public') throw new UsageError('--type must be confidential or public');
        if (values.environment !== 'test' && values.environment !== 'live') throw new UsageError('--environment must be test or live');
        const environment = values.environment;
        if (values.pkce !== 'required' && values.pkce !== 'optional') throw new UsageError('--pkce must be required or optional');
        const accessTokenAlg = values['access-token-alg'];
        if (accessTokenAlg !== 'EdDSA' && accessTokenAlg !== 'RS256') throw new UsageError('--access-token-alg must be EdDSA or RS256');
        const { application, secretKey } = await createApplication(deps, {
          ...brandingOf(values),
          organizationId: await organizationId(deps, values.org),
          name: values.name,
          type: values.type,
          environment,
          redirectUris: values['redirect-uri'],
          allowedScopes: values.scope,
          allowedOrigins: values.origin,
          passkeyOrigins: values['passkey-origin'],
          pkcePolicy: values.pkce,
          postLogoutRedirectUris: values['post-logout-redirect-uri'],
          accessTokenAlg,
          requirePushedAuthorizationRequests: values['require-pushed-authorization-requests'],
          requireDpop: values['require-dpop'] ?? false,
          resources: values.resource,
        });
        print(json, { ...describe(application), secretKey }, [
          `created ${application.id} (${application.name})`,
          `  publishable key  ${application.publishableKey}`,
          `  secret key       ${secretKey}   (shown once)`,
        ].join('\n'));
        return 0;
      }
      case 'list': {
        const applications = await allApplications(deps, await organizationId(deps, values.org));
        print(json, applications.map(describe), applications.map((a) => `${a.id}  ${a.publishableKey}  ${a.type}/${a.environment}  ${a.name}`).join('\n') || '(none)');
        return 0;
      }
      case 'rotate-secret': {
        if (!values.id) throw new UsageError('apps rotate-secret needs --id');
        const rotated = await rotateApplicationSecret(deps, values.id);
        if (!rotated) throw new UsageError(`no application ${values.id}`);
        print(json, { id: rotated.application.id, secretKey: rotated.secretKey, previousSecretValidForSeconds: deps.secretOverlapSeconds },
          `new secret key for ${rotated.application.id}: ${rotated.secretKey}   (shown once)`);
        return 0;
      }
      case 'add-redirect-uri': {
        if (!values.id || values['redirect-uri'].length !== 1) throw new UsageError('apps add-redirect-uri needs --id and one --redirect-uri');
        const existing = await getApplication(deps, values.id);
        const updated = await addRedirectUri(deps, existing, values['redirect-uri'][0]!);
        print(json, describe(updated), `redirect URIs of ${updated.id}: ${updated.redirectUris.join(' ')}`);
        return 0;
      }
      case 'add-post-logout-redirect-uri': {
        if (!values.id || values['post-logout-redirect-uri'].length !== 1) {
          throw new UsageError('apps add-post-logout-redirect-uri needs --id and one --post-logout-redirect-uri');
        }
        const existing = await getApplication(deps, values.id);
        const updated = await addPostLogoutRedirectUri(deps, existing, values['post-logout-redirect-uri'][0]!);
        print(json, describe(updated), `post-logout redirect URIs of ${updated.id}: ${updated.postLogoutRedirectUris.join(' ')}`);
        return 0;
      }
      case 'set-branding': {
        if (!values.id) throw new UsageError('apps set-branding needs --id');
        const updated = await updateApplication(deps, values.id, brandingOf(values));
        print(json, describe(updated), `branding of ${updated.id}: ${updated.name}, logo ${updated.logoUrl ?? '-'}, accent ${updated.accentColor ?? '-'}, ${updated.isFirstParty ? 'first' : 'third'}-party`);
        return 0;
      }
      case 'set-dpop': {
        // SPEC §13, RFC 9449 §5: whether the application's token requests must carry a DPoP proof.
        if (!values.id || values['require-dpop'] === values['no-require-dpop']) throw new UsageError('apps set-dpop needs --id and one of --require-dpop, --no-require-dpop');
        const updated = await updateApplication(deps, values.id, { requireDpop: values['require-dpop'] === true });
        print(json, describe(updated), `${updated.id} ${updated.requireDpop ? 'requires' : 'does not require'} DPoP`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        if (!values.id) throw new UsageError(`apps ${sub} needs --id`);
        const updated = sub === 'disable' ? await disableApplication(deps, values.id) : await enableApplication(deps, values.id);
        print(json, describe(updated), `${updated.id} ${updated.disabledAt === null ? 'enabled' : `disabled since ${new Date(updated.disabledAt).toISOString()}`}`);
        return 0;
      }
      default:
        throw new UsageError('apps needs one of: create, list, rotate-secret, add-redirect-uri, add-post-logout-redirect-uri, set-branding, set-dpop, disable, enable');
    }
  }
}
