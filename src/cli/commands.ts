import type { Config } from '../config/config.js';

type Run = (config: Config, argv: string[]) => Promise<number>;

// Loaded when the command runs, not for help or a refused command line: those answer at once,
// without loading the server, the store drivers or the HTTP stack.
const runAdminTokens: Run = async (config, argv) => (await import('./admin-tokens.js')).runAdminTokens(config, argv);
const runApps: Run = async (config, argv) => (await import('./apps.js')).runApps(config, argv);
const runKeys: Run = async (config, argv) => (await import('./keys.js')).runKeys(config, argv);
const runMigrate: Run = async (config, argv) => (await import('./migrate.js')).runMigrate(config, argv);
const runOrgs: Run = async (config, argv) => (await import('./orgs.js')).runOrgs(config, argv);
const runOutbox: Run = async (config, argv) => (await import('./outbox.js')).runOutbox(config, argv);
const runServe = async (config: Config) => (await import('./serve.js')).runServe(config);
const runUsers: Run = async (config, argv) => (await import('./users.js')).runUsers(config, argv);

/** One option of a command: its kind, the placeholder of its value, and one line of help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The value's placeholder in the help (string options). */
  readonly value?: string;
  readonly help: string;
}

/** One command (or subcommand) of the `latchkey` command line. */
export interface CommandSpec {
  /** The words after `latchkey`: `['apps', 'create']`. */
  readonly words: readonly string[];
  readonly summary: string;
  /** What follows the words in the usage line. */
  readonly usage: string;
  /** Every option the command accepts; anything else is refused (issue 11.11). */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Runs it with everything after `latchkey <first word>` (the subcommand word included). */
  readonly run: Run;
}

const json: OptionSpec = { type: 'boolean', help: 'print the result as JSON' };
const org: OptionSpec = { type: 'string', value: 'NAME', help: 'organization (default: default)' };
const id: OptionSpec = { type: 'string', value: 'app_…', help: 'the application' };
const logoUrl: OptionSpec = { type: 'string', value: 'https://…', help: 'logo on the hosted pages ("" removes it)' };
const accentColor: OptionSpec = { type: 'string', value: '#rrggbb', help: 'accent colour of the hosted pages ("" removes it)' };
const firstParty: OptionSpec = { type: 'boolean', help: 'first-party: users are not asked to consent' };
const requireDpop: OptionSpec = { type: 'boolean', help: 'token requests must carry a DPoP proof (RFC 9449; sender-constrained tokens)' };
const thirdParty: OptionSpec = { type: 'boolean', help: 'third-party: users consent to its scopes' };
const email: OptionSpec = { type: 'string', value: 'ADDRESS', help: "the user's email address" };
const password: OptionSpec = { type: 'string', value: 'PASSWORD', help: 'at least 8 characters' };
const environment: OptionSpec = { type: 'string', value: 'test|live', help: 'the environment (default: test)' };

/**
 * THE COMMAND TABLE: every command and subcommand, its usage and options. Help, the refusal of
 * unknown options and stray arguments, and test/cli.test.ts all read it, so a new command is covered.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['serve'], summary: 'run the server (migrates, creates the first keys and, on a database without applications, a demo application)',
    usage: '', options: {}, run: (config) => runServe(config),
  },
  { words: ['migrate'], summary: 'apply pending schema migrations (and create the default organization on a new database)', usage: '[--json]', options: { json }, run: runMigrate },
  { words: ['orgs', 'list'], summary: 'list organizations', usage: '[--json]', options: { json }, run: runOrgs },
  { words: ['orgs', 'create'], summary: 'create an organization', usage: '--name NAME [--json]', options: { name: { type: 'string', value: 'NAME', help: 'its unique name' }, json }, run: runOrgs },
  {
    words: ['orgs', 'set-delivery'], summary: 'choose how one-time passcodes are sent',
    usage: '--channel email|sms (--development | --smtp-url smtp://… --from ADDRESS | --webhook-url URL --webhook-secret S) [--org NAME] [--json]',
    options: {
      org,
      channel: { type: 'string', value: 'email|sms', help: 'the channel to configure' },
      development: { type: 'boolean', help: 'keep messages in the development outbox (sends nothing)' },
      'smtp-url': { type: 'string', value: 'smtp://…', help: 'send email through this SMTP server (smtps:// for implicit TLS)' },
      from: { type: 'string', value: 'ADDRESS', help: 'sender of SMTP email' },
      'webhook-url': { type: 'string', value: 'URL', help: 'POST each message, signed, to this URL' },
      'webhook-secret': { type: 'string', value: 'SECRET', help: 'the webhook signing secret' },
      json,
    },
    run: runOrgs,
  },
  {
    words: ['orgs', 'set-branding'], summary: 'name, logo and colour of the hosted pages', usage: '[--org NAME] [--display-name N] [--logo-url https://…] [--accent-color #rrggbb] [--json]',
    options: { org, 'display-name': { type: 'string', value: 'NAME', help: 'name shown on the hosted pages' }, 'logo-url': logoUrl, 'accent-color': accentColor, json },
    run: runOrgs,
  },
  {
    words: ['orgs', 'set-client-registration'], summary: 'accept clients nobody registered by hand (SPEC §13; off by default)',
    usage: '[--org NAME] [--metadata-documents off|test|live] [--dynamic-registration off|test|live] [--initial-access-token generate|none] [--json]',
    options: {
      org,
      'metadata-documents': { type: 'string', value: 'off|test|live', help: 'an https client_id naming a Client ID Metadata Document: off, or the environment such clients live in' },
      'dynamic-registration': { type: 'string', value: 'off|test|live', help: 'Dynamic Client Registration (RFC 7591): off, or the environment of registered clients' },
      'initial-access-token': { type: 'string', value: 'generate|none', help: 'registration needs a new token (printed once), or none (open registration)' },
      json,
    },
    run: runOrgs,
  },
  {
    words: ['apps', 'create'], summary: 'create an application and print its keys (the secret key once)',
    usage: '--name NAME [--org NAME] [--type confidential|public] [--environment test|live] [--redirect-uri URI]... [--scope S]... [--origin O]... [options]',
    options: {
      name: { type: 'string', value: 'NAME', help: 'its name' },
      org,
      type: { type: 'string', value: 'confidential|public', help: 'client type (default: confidential)' },
      environment,
      'redirect-uri': { type: 'string', multiple: true, value: 'URI', help: 'an OAuth redirect URI (repeatable)' },
      scope: { type: 'string', multiple: true, value: 'SCOPE', help: 'a scope it may ask for (repeatable; default: openid profile email phone address offline_access)' },
      pkce: { type: 'string', value: 'required|optional', help: 'whether authorization requests must carry PKCE (default: required; optional only for confidential clients)' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, value: 'URI', help: 'where OpenID Connect end-session may send the browser (repeatable)' },
      'access-token-alg': { type: 'string', value: 'EdDSA|RS256', help: 'signature algorithm of its OAuth access tokens (default: EdDSA)' },
      origin: { type: 'string', multiple: true, value: 'ORIGIN', help: 'a browser origin allowed by CORS (repeatable)' },
      'passkey-origin': { type: 'string', multiple: true, value: 'ORIGIN', help: 'an origin besides the issuer\'s whose pages may run passkey ceremonies through the APIs (repeatable)' },
      'require-pushed-authorization-requests': { type: 'boolean', help: 'accept authorization requests only through PAR (RFC 9126)' },
      'require-dpop': requireDpop,
      resource: { type: 'string', multiple: true, value: 'URI', help: 'a resource indicator its tokens may be asked for (RFC 8707; repeatable)' },
      'logo-url': logoUrl,
      'accent-color': accentColor,
      'first-party': firstParty,
      'third-party': thirdParty,
      json,
    },
    run: runApps,
  },
  { words: ['apps', 'list'], summary: "list an organization's applications", usage: '[--org NAME] [--json]', options: { org, json }, run: runApps },
  { words: ['apps', 'rotate-secret'], summary: 'issue a new secret key (shown once)', usage: '--id app_… [--json]', options: { id, json }, run: runApps },
  {
    words: ['apps', 'add-redirect-uri'], summary: 'register one more redirect URI', usage: '--id app_… --redirect-uri URI [--json]',
    options: { id, 'redirect-uri': { type: 'string', value: 'URI', help: 'the redirect URI to add' }, json }, run: runApps,
  },
  {
    words: ['apps', 'add-post-logout-redirect-uri'], summary: 'register one more post-logout redirect URI (OpenID Connect logout)',
    usage: '--id app_… --post-logout-redirect-uri URI [--json]',
    options: { id, 'post-logout-redirect-uri': { type: 'string', value: 'URI', help: 'where end-session may send the browser afterwards' }, json }, run: runApps,
  },
  {
    words: ['apps', 'set-branding'], summary: "an application's name, logo, colour and party", usage: '--id app_… [--name N] [--logo-url https://…] [--accent-color #rrggbb] [--first-party | --third-party] [--json]',
    options: { id, name: { type: 'string', value: 'NAME', help: 'its new name' }, 'logo-url': logoUrl, 'accent-color': accentColor, 'first-party': firstParty, 'third-party': thirdParty, json },
    run: runApps,
  },
  {
    words: ['apps', 'set-dpop'], summary: 'whether its token requests must carry a DPoP proof (RFC 9449)', usage: '--id app_… (--require-dpop | --no-require-dpop) [--json]',
    options: { id, 'require-dpop': requireDpop, 'no-require-dpop': { type: 'boolean', help: 'DPoP is optional (the default)' }, json },
    run: runApps,
  },
  {
    words: ['apps', 'disable'], summary: 'refuse its keys and tokens everywhere, at once (undone by apps enable)', usage: '--id app_… [--json]',
    options: { id, json }, run: runApps,
  },
  { words: ['apps', 'enable'], summary: 'undo apps disable', usage: '--id app_… [--json]', options: { id, json }, run: runApps },
  {
    words: ['users', 'create'], summary: 'create a user who signs in with a password', usage: '--email ADDRESS --password PASSWORD [--phone +1…] [--name N] [--org NAME] [--environment test|live] [--json]',
    options: {
      email, password,
      phone: { type: 'string', value: '+1…', help: 'phone number: makes an SMS code the second factor' },
      name: { type: 'string', value: 'NAME', help: 'full name' },
      org, environment, json,
    },
    run: runUsers,
  },
  { words: ['users', 'set-password'], summary: "set a user's password", usage: '--email ADDRESS --password PASSWORD [--org NAME] [--environment test|live] [--json]', options: { email, password, org, environment, json }, run: runUsers },
  {
    words: ['admin-tokens', 'create'], summary: 'create an admin API token and print it (shown once)',
    usage: '--name NAME [--org NAME | --all-orgs] [--read-only] [--json]',
    options: {
      name: { type: 'string', value: 'NAME', help: 'what it is for (shown in the audit log)' },
      org: { type: 'string', value: 'NAME', help: 'the one organization it may see and change (default: default)' },
      'all-orgs': { type: 'boolean', help: 'every organization, and what spans them (signing keys, new organizations)' },
      'read-only': { type: 'boolean', help: 'may read only: every change is refused (403)' },
      json,
    },
    run: runAdminTokens,
  },
  { words: ['admin-tokens', 'list'], summary: 'list admin tokens (never their secrets)', usage: '[--json]', options: { json }, run: runAdminTokens },
  {
    words: ['admin-tokens', 'revoke'], summary: 'revoke an admin token at once', usage: '--id adm_… [--json]',
    options: { id: { type: 'string', value: 'adm_…', help: 'the admin token' }, json }, run: runAdminTokens,
  },
  { words: ['keys', 'rotate'], summary: 'publish new signing keys and retire the old ones', usage: '[--json]', options: { json }, run: runKeys },
  {
    words: ['outbox'], summary: 'messages kept by the development sender, newest first', usage: '[--to ADDRESS] [--limit N] [--json]',
    options: { to: { type: 'string', value: 'ADDRESS', help: 'only messages to this address or phone number' }, limit: { type: 'string', value: 'N', help: 'how many (default: 10)' }, json },
    run: runOutbox,
  },
];
