import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.js';
import { InvalidApplication, addPostLogoutRedirectUri, addRedirectUri, createApplication, rotateApplicationSecret } from '../flows/applications.js';
import { BrandingError, setApplicationBranding } from '../flows/branding.js';
import type { FlowDeps } from '../flows/deps.js';
import { parseOrigin } from '../protocol/origins.js';
import type { Application } from '../storage/store.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** Applies the branding options given on the command line, if any. */
async function brand(deps: FlowDeps, application: Application, values: Record<string, unknown>): Promise<Application> {
  const branding = {
    ...(typeof values.name === 'string' && values.name !== application.name ? { name: values.name } : {}),
    ...(typeof values['logo-url'] === 'string' ? { logoUrl: values['logo-url'] || null } : {}),
    ...(typeof values['accent-color'] === 'string' ? { accentColor: values['accent-color'] || null } : {}),
    ...(values['first-party'] ? { isFirstParty: true } : values['third-party'] ? { isFirstParty: false } : {}),
  };
  if (Object.keys(branding).length === 0) return application;
  try {
    return await setApplicationBranding(deps, application.id, branding);
  } catch (error) {
    if (error instanceof BrandingError) throw new UsageError(error.message);
    throw error;
  }
}

function describe(application: Application) {
  return {
    id: application.id,
    organizationId: application.organizationId,
    name: application.name,
    publishableKey: application.publishableKey,
    type: application.type,
    environment: application.environment,
    redirectUris: application.redirectUris,
    allowedScopes: application.allowedScopes,
    allowedOrigins: application.allowedOrigins,
    logoUrl: application.logoUrl,
    accentColor: application.accentColor,
    isFirstParty: application.isFirstParty,
    pkce: application.pkcePolicy,
    postLogoutRedirectUris: application.postLogoutRedirectUris,
    accessTokenAlg: application.accessTokenAlg,
    createdAt: new Date(application.createdAt).toISOString(),
  };
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
      id: { type: 'string' },
      'logo-url': { type: 'string' },
      'accent-color': { type: 'string' },
      'first-party': { type: 'boolean' },
      'third-party': { type: 'boolean' },
      pkce: { type: 'string', default: 'required' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] as string[] },
      'access-token-alg': { type: 'string', default: 'EdDSA' },
    } satisfies NonNullable<ParseArgsConfig['options']>;

type AppsOptions = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** `latchkey apps create|list|rotate-secret|add-redirect-uri|add-post-logout-redirect-uri|set-branding`. */
export async function runApps(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({ args, options: OPTIONS });
  const json = values.json;
  return withRuntime(config, async ({ deps }) => {
    try {
      return await runAppsCommand(deps, sub, values, json);
    } catch (error) {
      if (error instanceof InvalidApplication) throw new UsageError(error.message);
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
        const origins = values.origin.map((o: string) => {
          if (!parseOrigin(o)) throw new UsageError(`--origin ${JSON.stringify(o)} is not an origin (scheme://host[:port])`);
          return o;
        });
        const created = await createApplication(deps, {
          organizationId: await organizationId(deps, values.org),
          name: values.name,
          type: values.type,
          environment,
          redirectUris: values['redirect-uri'],
          allowedScopes: values.scope,
          allowedOrigins: origins,
          pkcePolicy: values.pkce,
          postLogoutRedirectUris: values['post-logout-redirect-uri'],
          accessTokenAlg,
        });
        const { secretKey } = created;
        const application = await brand(deps, created.application, values);
        print(json, { ...describe(application), secretKey }, [
          `created ${application.id} (${application.name})`,
          `  publishable key  ${application.publishableKey}`,
          `  secret key       ${secretKey}   (shown once)`,
        ].join('\n'));
        return 0;
      }
      case 'list': {
        const applications = await deps.store.listApplications(await organizationId(deps, values.org));
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
        const existing = await deps.store.getApplication(values.id);
        if (!existing) throw new UsageError(`no application ${values.id}`);
        const updated = await addRedirectUri(deps, existing, values['redirect-uri'][0]!);
        print(json, describe(updated), `redirect URIs of ${updated.id}: ${updated.redirectUris.join(' ')}`);
        return 0;
      }
      case 'add-post-logout-redirect-uri': {
        if (!values.id || values['post-logout-redirect-uri'].length !== 1) {
          throw new UsageError('apps add-post-logout-redirect-uri needs --id and one --post-logout-redirect-uri');
        }
        const existing = await deps.store.getApplication(values.id);
        if (!existing) throw new UsageError(`no application ${values.id}`);
        const updated = await addPostLogoutRedirectUri(deps, existing, values['post-logout-redirect-uri'][0]!);
        print(json, describe(updated), `post-logout redirect URIs of ${updated.id}: ${updated.postLogoutRedirectUris.join(' ')}`);
        return 0;
      }
      case 'set-branding': {
        if (!values.id) throw new UsageError('apps set-branding needs --id');
        const existing = await deps.store.getApplication(values.id);
        if (!existing) throw new UsageError(`no application ${values.id}`);
        const updated = await brand(deps, existing, values);
        print(json, describe(updated), `branding of ${updated.id}: ${updated.name}, logo ${updated.logoUrl ?? '-'}, accent ${updated.accentColor ?? '-'}, ${updated.isFirstParty ? 'first' : 'third'}-party`);
        return 0;
      }
      default:
        throw new UsageError('apps needs one of: create, list, rotate-secret, add-redirect-uri, add-post-logout-redirect-uri, set-branding');
    }
  }
}
