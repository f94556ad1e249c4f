import {
  AUTHORIZATION_CODE_TTL_SECONDS, AUTHORIZATION_SESSION_TTL_SECONDS, BEACON_TOKEN_TTL_SECONDS, DEFAULT_ORGANIZATION_SETTINGS as lifetimes, EXCHANGE_CODE_TTL_SECONDS, OTP_TTL_SECONDS,
} from '../protocol/lifetimes.js';
import { OPENID_SCOPES } from '../protocol/scopes.js';
import { SETTINGS, type SettingSpec } from './settings.js';

const OPENID_DEFAULT = `\`${OPENID_SCOPES.join(' ')}\``;

/** `21600 (6 hours)`: seconds as the API answers them, and in words. */
function duration(seconds: number): string {
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute']];
  const [size, unit] = units.find(([size]) => seconds >= size && seconds % size === 0) ?? [1, 'second'];
  const count = seconds / size;
  return size === 1 ? `${seconds} seconds` : `${seconds} (${count} ${unit}${count === 1 ? '' : 's'})`;
}

/** The markdown table of every setting (README and docs/configuration.md both show it). */
export function renderSettingsTable(): string {
  const rows = Object.entries(SETTINGS as Record<string, SettingSpec>).map(
    ([name, spec]) => `| \`${name}\` | ${spec.defaultText === undefined ? '—' : `\`${spec.defaultText}\``} | ${spec.description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Renders docs/configuration.md from the settings table; `npm run docs:config` writes it. */
export function renderConfigurationReference(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/settings.ts by `npm run docs:config`; test/config.test.ts fails when it drifts. -->',
    '',
    'Latchkey reads its configuration from environment variables, validates all of them at start and',
    'refuses to start with one line per bad value. Empty values count as unset.',
    '',
    renderSettingsTable(),
    '',
    '## Per-organization settings',
    '',
    'Token lifetimes are stored per organization (SPEC §4) and start at these defaults. There are two',
    'families, and each answers with its own:',
    '',
    '| tokens | setting | default |',
    '|---|---|---|',
    `| consumer API sessions (\`/auth/*\`: external exchange, guests, one-time passcodes): access token | \`accessTokenTtlSeconds\` | ${duration(lifetimes.accessTokenTtlSeconds)} |`,
    `| consumer API sessions: refresh token (\`refreshTokenTtlSeconds\` in the answer) | \`refreshTokenTtlSeconds\` | ${duration(lifetimes.refreshTokenTtlSeconds)} |`,
    `| OAuth (\`/v1/auth/oauth/token\`, third-party apps): access token (\`expires_in\`) | \`oauthAccessTokenTtlSeconds\` | ${duration(lifetimes.oauthAccessTokenTtlSeconds)} |`,
    `| OAuth: refresh token (\`refresh_token_expires_in\`) | \`oauthRefreshTokenTtlSeconds\` | ${duration(lifetimes.oauthRefreshTokenTtlSeconds)} |`,
    `| login token of \`/v1/auth/login\` and the hosted pages' session | \`loginTokenTtlSeconds\` | ${duration(lifetimes.loginTokenTtlSeconds)} |`,
    `| both families: a rotated refresh token still answers with the same successor for | \`refreshReuseIntervalSeconds\` | ${duration(lifetimes.refreshReuseIntervalSeconds)} |`,
    '',
    `Not configurable: the exchange code lives ${EXCHANGE_CODE_TTL_SECONDS} seconds, the authorization code ${AUTHORIZATION_CODE_TTL_SECONDS} seconds, an`,
    `authorization session ${AUTHORIZATION_SESSION_TTL_SECONDS / 60} minutes, a one-time passcode ${OTP_TTL_SECONDS / 60} minutes, the beacon token ${BEACON_TOKEN_TTL_SECONDS / 3600} hour.`,
    '',
    '## Per-application settings',
    '',
    'Set at `latchkey apps create` (see `npx latchkey apps create --help`):',
    '',
    '| option | default | meaning |',
    '|---|---|---|',
    '| `--type confidential\\|public` | `confidential` | a public client has no secret and always uses PKCE |',
    '| `--environment test\\|live` | `test` | which world its keys, users and sessions belong to (SPEC §1) |',
    '| `--redirect-uri URI` (repeatable) | none | OAuth redirect URIs, compared exactly (loopback IP ports excepted, RFC 8252 §7.3) |',
    `| \`--scope S\` (repeatable) | ${OPENID_DEFAULT} | the scopes it may ask for (SPEC §9). Giving one \`--scope\` replaces the whole default list |`,
    '| `--pkce required\\|optional` | `required` | `optional` lets a **confidential** client send OpenID Connect authorization requests (scope `openid`, whose `nonce` stands in) without PKCE, as the OpenID Foundation\'s certification suite and many relying parties do (SPEC §6.1; RFC 9700 §2.1.1 allows it for confidential clients using `nonce`). A public client cannot have it. A challenge that was sent is always enforced, and a `code_verifier` sent for a code issued without a challenge is refused (RFC 9700 §4.8.2) |',
    '| `--post-logout-redirect-uri URI` (repeatable) | none | where RP-Initiated Logout may send the browser afterwards (exact match) |',
    '| `--access-token-alg EdDSA\\|RS256` | `EdDSA` | the signature of its OAuth access tokens; RFC 9068 §2.1 requires RS256 to be available to resource servers. Latchkey accepts its access tokens under either; an ID token is never a bearer credential |',
    '| `--passkey-origin ORIGIN` (repeatable) | none | an origin besides the issuer\'s own whose pages may run passkey ceremonies (registration, sign-in) through the consumer API and API mode (SPEC §12; WebAuthn L3 §7.1 step 9). Its host must be `LATCHKEY_WEBAUTHN_RP_ID` or under it, or browsers refuse the ceremony. The admin API sets it as `passkeyOrigins` |',
    '| `--require-pushed-authorization-requests` | off | the application\'s authorization requests must come through the pushed authorization request endpoint (`POST /v1/auth/oauth/par`, RFC 9126); a plain one is refused with `invalid_request`. The server\'s metadata says `require_pushed_authorization_requests: false`: the requirement is per application. The admin API sets it as `requirePushedAuthorizationRequests` (also on update) |',
    '| `--resource URI` (repeatable) | none | a resource indicator (RFC 8707: an absolute URI without fragment, exact match) its access tokens may be asked for with `resource` at the authorization, PAR and token endpoints; the token\'s `aud` is then that resource (one per token) instead of the issuer. Any other `resource` is `invalid_target`. The admin API sets it as `resources` |',
    '| `--require-dpop` | off | every token request of the application (OAuth token endpoint; consumer sessions started or refreshed) must carry a DPoP proof (RFC 9449; SPEC §13), so all its tokens are sender-constrained. Changed later with `latchkey apps set-dpop --id app_… --require-dpop\\|--no-require-dpop`; the admin API sets it as `requireDpop` |',
    '',
    'Applications created before the OpenID Connect work (migration `010-openid-connect`) with an empty',
    'scope list — the old default — were given the new default list; lists that were given explicitly are',
    'kept. Their PKCE policy is `required` and their access tokens EdDSA, as before.',
    '',
    '## Rate limits',
    '',
    'Each `LATCHKEY_RATE_LIMIT_*` value above is `<points>/<seconds>`: a fixed window per key. An excess',
    'request gets 429 `{ "error": "rate_limit_exceeded", "message", "retryAfter" }` with `Retry-After`,',
    '`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds). Besides these,',
    'a destination gets at most one code per 60 seconds (not configurable).',
    '',
    'Without `LATCHKEY_REDIS_URL` the counters live in each process\'s memory: behind a load balancer each',
    'instance counts on its own. With it, every instance counts in the same Redis, so a limit holds across',
    'the fleet; while Redis is unreachable `LATCHKEY_REDIS_FAILURE_MODE` decides what the limits do.',
    '',
    '## Delivery of one-time passcodes (per organization)',
    '',
    'Each organization chooses, per channel (`email`, `sms`), how codes leave Latchkey. The choice is',
    'stored in the database, sealed with the key-encryption key (it holds SMTP passwords and webhook',
    'secrets), and set with the CLI:',
    '',
    '```sh',
    'npx latchkey orgs set-delivery --channel email --development            # the default',
    'npx latchkey orgs set-delivery --channel email --smtp-url smtp://user:pass@smtp.example.com:587 \\',
    '  --from "Shop <no-reply@shop.example>"',
    'npx latchkey orgs set-delivery --channel sms --webhook-url https://sms.example/hooks/otp \\',
    '  --webhook-secret "$(openssl rand -hex 32)"',
    '```',
    '',
    '- **development** (default): nothing is sent. The message is kept in the outbox table and printed by',
    '  `npx latchkey outbox [--to ADDRESS]`; the log line names the masked recipient, never the code.',
    '- **smtp**: `smtp://` (STARTTLS when offered) or `smtps://` (implicit TLS), through nodemailer.',
    '- **webhook**: `POST` of `{ type: "otp", channel, to, subject, text, code, expiresAt, organizationId }`',
    '  with headers `X-Latchkey-Timestamp: <unix seconds>` and',
    '  `X-Latchkey-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. Receivers should',
    '  recompute the signature over the raw body, compare in constant time and refuse old timestamps.',
    '  Any answer other than 2xx, or no answer within 5 seconds, is a failure.',
    '',
    'A failed delivery answers 502 `delivery_failed` and deletes the code it could not send.',
    '',
    'Security notices go through the same email channel: when a person\'s passkey is added or removed, an',
    'authenticator app is turned on or removed, or recovery codes are replaced, the address on the account',
    'gets a short message naming the change and pointing at `<issuer>/account` (none without an address).',
    'They carry no secret; the webhook posts them as `{ type: "security_notice", channel, to, subject, text,',
    'organizationId }` (no `code`, no `expiresAt`). They are sent after the change is saved and never delay',
    'or fail the answer: a failed notice is a warning in the log.',
    '## Clients nobody registered by hand (per organization, SPEC §13)',
    '',
    'Client ID Metadata Documents (an https `client_id`) and Dynamic Client Registration (RFC 7591) are',
    'off by default. They serve the organization named by `LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION`',
    '(`default` unless set), whose switches say whether each works and in which environment such clients',
    'live:',
    '',
    '```sh',
    'npx latchkey orgs set-client-registration --metadata-documents live --dynamic-registration live',
    'npx latchkey orgs set-client-registration --initial-access-token generate   # registration needs it (printed once)',
    'npx latchkey orgs set-client-registration --metadata-documents off --dynamic-registration off',
    '```',
    '',
    'Such clients are public and PKCE-only, use the hosted pages (no API mode), and are shown as',
    'unverified on the consent page, which is asked every time. Documents are fetched over https from',
    'public addresses only (5 KiB, 5 s, no redirects) and cached per `Cache-Control` between 60 s and 24 h',
    '(docs/architecture.md, "Clients nobody registered by hand").',
    '',
  ].join('\n');
}

/** README.md with its configuration table (between the config-table markers) regenerated. */
export function renderReadme(readme: string): string {
  return readme.replace(
    /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
    `<!-- config-table:start -->\n${renderSettingsTable()}\n<!-- config-table:end -->`,
  );
}
