import * as v from 'valibot';
import { resourceProblem } from '../protocol/resource-indicators.js';

/**
 * Every setting Latchkey reads from the environment (SPEC §8), in one table. The configuration
 * reference (docs/configuration.md) is generated from this table and a test fails when they drift.
 */
export interface SettingSpec {
  readonly description: string;
  /** Shown in the docs; `undefined` means "no default". */
  readonly defaultText: string | undefined;
  /** Raw string → typed value; a failure names the variable. */
  readonly schema: v.GenericSchema<string | undefined, unknown>;
  /** Weakens security when set; warned about at boot (STYLE §8). */
  readonly insecure?: boolean;
}

const integer = (min: number, max: number, fallback: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const url = (protocols: string[], message: string) =>
  v.pipe(
    v.string(),
    v.check((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, message),
  );

/** `<points>/<seconds>`: at most `points` requests per `seconds` window. */
const rule = (fallback: string) =>
  v.pipe(
    v.optional(v.string(), fallback),
    v.regex(/^\d+\/\d+$/, 'must be <points>/<seconds>, e.g. 5/3600'),
    v.transform((value) => {
      const [points, seconds] = value.split('/').map(Number) as [number, number];
      return { points, durationSeconds: seconds };
    }),
    v.check((r) => r.points >= 1 && r.durationSeconds >= 1, 'points and seconds must both be at least 1'),
  );

/** `host:port`, `[v6]:port` or `off`; undefined when it is none of these. */
function parseListenAddress(value: string): { host: string; port: number } | 'off' | undefined {
  if (value.trim().toLowerCase() === 'off') return 'off';
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

export const SETTINGS = {
  LATCHKEY_DATABASE_URL: {
    description:
      'Where data lives. `sqlite:<path>` (relative to the working directory) selects the embedded SQLite store; `postgres://…` selects PostgreSQL.',
    defaultText: 'sqlite:./data/latchkey.db',
    schema: v.pipe(
      v.optional(v.string(), 'sqlite:./data/latchkey.db'),
      v.check(
        (value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value),
        'must start with sqlite: or postgres://',
      ),
    ),
  },
  LATCHKEY_DATABASE_PREPARED_STATEMENTS: {
    description:
      'PostgreSQL only: send the hot queries as named prepared statements, parsed once per connection (about twice the throughput). Set `false` behind a pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21, or without `max_prepared_statements`).',
    defaultText: 'true',
    schema: v.pipe(v.optional(v.picklist(['true', 'false'], 'must be true or false'), 'true'), v.transform((value) => value === 'true')),
  },
  LATCHKEY_PORT: {
    description: 'TCP port to listen on (0 picks a free one; an issuer with port 0, such as the default one then, names the port picked).',
    defaultText: '4802',
    schema: integer(0, 65535, 4802),
  },
  LATCHKEY_HOST: {
    description: 'Interface to bind. Use 0.0.0.0 behind a load balancer.',
    defaultText: '127.0.0.1',
    schema: v.pipe(v.optional(v.string(), '127.0.0.1'), v.minLength(1, 'must not be empty')),
  },
  LATCHKEY_ADMIN_LISTEN: {
    description:
      'Where the admin listener binds, `host:port` (`[::1]:4803` for IPv6; port 0 picks a free one), or `off`. It serves the admin API `/admin/v1/…` (admin tokens only; docs/administration.md) and `/metrics`, `/healthz` and `/readyz`, which are not authenticated: keep it on loopback or an internal network, never behind the public load balancer. The public port serves neither `/admin/v1` nor `/metrics`.',
    defaultText: '127.0.0.1:4803',
    schema: v.pipe(
      v.optional(v.string(), '127.0.0.1:4803'),
      v.transform(parseListenAddress),
      v.check((value) => value !== undefined, 'must be host:port (e.g. 127.0.0.1:4803, [::1]:4803) or off'),
      v.transform((value) => (value === 'off' ? null : value)),
    ),
  },
  LATCHKEY_ISSUER: {
    description:
      'Public base URL of this server: the `iss` of every token and the base of metadata URLs. An origin only: no path, trailing slash, query or fragment.',
    defaultText: 'http://localhost:<port>',
    schema: v.optional(
      v.pipe(
        url(['http:', 'https:'], 'must be an http(s) URL'),
        v.check((value) => !/[?#]/.test(value) && !value.endsWith('/'), 'must have no query, fragment or trailing slash'),
        // Metadata is served at the root (/.well-known/…), so the issuer has no path (RFC 8414 §3).
        v.check((value) => new URL(value).pathname === '/', 'must be an origin without a path, e.g. https://auth.example.com'),
      ),
    ),
  },
  LATCHKEY_INSECURE_HTTP_ISSUER: {
    description:
      'INSECURE. Allow an http issuer on a non-loopback host (cookies then lose `Secure`, tokens travel in clear). Only for a trusted network behind no TLS at all; warns at boot. Without it an http issuer must be localhost, 127.0.0.1 or [::1].',
    defaultText: 'false',
    insecure: true,
    schema: v.pipe(v.optional(v.picklist(['true', 'false'], 'must be true or false'), 'false'), v.transform((value) => value === 'true')),
  },
  LATCHKEY_WEBAUTHN_RP_ID: {
    description:
      'The WebAuthn relying party ID of passkeys (SPEC §12): a domain that is the issuer\'s host or a parent of it (WebAuthn L3 §5.1.3), e.g. `example.com` to let pages on `app.example.com` use them too. Passkeys are bound to it: changing it later makes every registered passkey unusable.',
    defaultText: "the issuer's host",
    schema: v.optional(
      v.pipe(
        v.string(),
        v.toLowerCase(),
        v.regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a domain name without scheme, port or path, e.g. example.com'),
      ),
    ),
  },
  LATCHKEY_SECRET: {
    description:
      'Key-encryption secret (at least 32 characters): encrypts signing keys at rest and derives other server keys. When absent on SQLite, one is generated into `latchkey.secret` beside the database file (mode 0600); required on PostgreSQL.',
    defaultText: undefined,
    schema: v.optional(v.pipe(v.string(), v.minLength(32, 'must be at least 32 characters'))),
  },
  LATCHKEY_REDIS_URL: {
    description: 'Optional Redis for shared rate limits across instances (`redis://…`).',
    defaultText: undefined,
    schema: v.optional(url(['redis:', 'rediss:'], 'must be a redis:// or rediss:// URL')),
  },
  LATCHKEY_REDIS_FAILURE_MODE: {
    description:
      'What rate limits do while Redis is unreachable: `memory` keeps serving with per-instance counters (fail open to local limits); `closed` refuses rate-limited requests with 503. Either way the log and /readyz say so.',
    defaultText: 'memory',
    schema: v.optional(v.picklist(['memory', 'closed'], 'must be memory or closed'), 'memory'),
  },
  LATCHKEY_LOG_LEVEL: {
    description: 'pino log level.',
    defaultText: 'info',
    schema: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'must be one of fatal, error, warn, info, debug, trace, silent'), 'info'),
  },
  LATCHKEY_BODY_LIMIT_BYTES: {
    description: 'Largest request body accepted; larger bodies get 413 `payload_too_large`.',
    defaultText: '65536',
    schema: integer(1024, 10 * 1024 * 1024, 65536),
  },
  LATCHKEY_KEY_CACHE_SECONDS: {
    description:
      'How long an instance caches signing keys. A rotated key is published at once and used for signing only after this delay, so every instance can verify it before any instance signs with it.',
    defaultText: '30',
    schema: integer(0, 3600, 30),
  },
  LATCHKEY_SECRET_OVERLAP_SECONDS: {
    description: 'How long a rotated application secret key keeps working beside its successor (0: stops at once).',
    defaultText: '0',
    schema: integer(0, 30 * 86400, 0),
  },
  LATCHKEY_TRUSTED_PROXY_HOPS: {
    description:
      'How many reverse proxies in front of Latchkey append to `X-Forwarded-For`. 0 uses the socket address as the client IP (for per-IP rate limits); N uses the N-th address from the right of `X-Forwarded-For`.',
    defaultText: '0',
    schema: integer(0, 10, 0),
  },
  LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_DESTINATION: {
    description: 'OTP codes issued per email address or phone number; a request refused by the 60-second resend cooldown does not count.',
    defaultText: '5/3600',
    schema: rule('5/3600'),
  },
  LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: {
    description: 'OTP requests per client IP, refused ones included.',
    defaultText: '30/3600',
    schema: rule('30/3600'),
  },
  LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION: {
    description: 'OTP verification attempts per email address or phone number, across codes.',
    defaultText: '10/600',
    schema: rule('10/600'),
  },
  LATCHKEY_RATE_LIMIT_GUEST_PER_IP: {
    description: 'Guest sessions created per client IP.',
    defaultText: '60/3600',
    schema: rule('60/3600'),
  },
  LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION: {
    description: 'External-identity exchange codes minted per application.',
    defaultText: '6000/60',
    schema: rule('6000/60'),
  },
  LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: {
    description: 'Sign-in attempts per client IP: passwords (`POST /v1/auth/login`, the hosted login page) and passkeys (each `…/passkey/options` and `…/passkey/verify` of the consumer API and API mode, and `/oauth/authorize/:id/passkey[/options]` of the hosted login page, whose script asks for options once per page view when the browser offers passkey autofill).',
    defaultText: '60/600',
    schema: rule('60/600'),
  },
  LATCHKEY_RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: {
    description: 'Failed password sign-ins per email address before the account is locked (429) for the rest of the window.',
    defaultText: '5/900',
    schema: rule('5/900'),
  },
  LATCHKEY_RATE_LIMIT_SECOND_FACTOR_PER_CONSUMER: {
    description: 'Authenticator-app (TOTP) codes tried per person — at sign-in, enrollment, removal and step-up — before further tries are refused (429) for the rest of the window; a right code starts the count over (SPEC §12). This bounds guessing a 6-digit code from every network at once. Recovery codes (50 random bits each) are not counted here, so someone who holds the password and spends this budget cannot keep the owner out: the owner still gets in with a recovery code or a passkey. Recovery codes are bounded per client IP instead (`LATCHKEY_RATE_LIMIT_LOGIN_PER_IP` at sign-in, `LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP` on account changes).',
    defaultText: '5/900',
    schema: rule('5/900'),
  },
  LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP: {
    description: 'Changes to a signed-in person\'s sign-in methods per client IP: every POST, PATCH and DELETE under `/consumers/me/passkeys`, `/consumers/me/second-factors`, `/v1/user/passkeys`, `/v1/user/second-factors` and the forms of the hosted `/account` page (each passkey registration options call and TOTP enrollment start writes a short-lived row; removal and step-up take recovery codes).',
    defaultText: '60/900',
    schema: rule('60/900'),
  },
  LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP: {
    description: 'Dynamic Client Registration requests (RFC 7591, `POST /v1/auth/oauth/register`) per client IP: each one that is answered creates an application, so open registration is kept from filling the database (SPEC §13).',
    defaultText: '10/3600',
    schema: rule('10/3600'),
  },
  LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP: {
    description: 'Authorization requests (`/v1/auth/oauth/authorize/initiate`, GET or POST) whose `client_id` is a URL — a Client ID Metadata Document — per client IP: each may fetch a document and save a client, so anonymous callers cannot fill the database or use the fetcher to probe hosts at will (SPEC §13). Requests with a registered client_id do not count.',
    defaultText: '30/600',
    schema: rule('30/600'),
  },
  LATCHKEY_HOUSEKEEPING_INTERVAL_SECONDS: {
    description: 'How often an instance tries to delete expired rows (one instance at a time holds the lease); 0 turns housekeeping off.',
    defaultText: '300',
    schema: integer(0, 86400, 300),
  },
  LATCHKEY_HOUSEKEEPING_BATCH_SIZE: {
    description: 'Rows deleted per statement by housekeeping (at most 20 statements per kind of row per run).',
    defaultText: '1000',
    schema: integer(10, 100000, 1000),
  },
  LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS: {
    description: 'On SIGTERM/SIGINT: how long in-flight requests may take to finish before their connections are cut.',
    defaultText: '10',
    schema: integer(0, 600, 10),
  },
  LATCHKEY_ARGON2_MEMORY_KIB: {
    description: 'argon2id memory cost for user passwords, in KiB (OWASP minimum 19456 = 19 MiB).',
    defaultText: '19456',
    schema: integer(8192, 4 * 1024 * 1024, 19456),
  },
  LATCHKEY_ARGON2_TIME_COST: {
    description: 'argon2id iterations for user passwords.',
    defaultText: '2',
    schema: integer(1, 20, 2),
  },
  LATCHKEY_ARGON2_PARALLELISM: {
    description: 'argon2id lanes for user passwords.',
    defaultText: '1',
    schema: integer(1, 16, 1),
  },
  LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION: {
    description:
      'The organization (by name) that clients nobody registered by hand belong to (SPEC §13): an https `client_id` naming a Client ID Metadata Document, and clients made by Dynamic Client Registration. Its `latchkey orgs set-client-registration` switches (off by default) say whether either works and in which environment such clients live.',
    defaultText: 'default',
    schema: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be an organization name')), 'default'),
  },
  LATCHKEY_CLIENT_REGISTRATION_RESOURCES: {
    description:
      'The resource indicators (RFC 8707: absolute URIs without fragment, separated by spaces or commas) that clients nobody registered by hand — Client ID Metadata Document and Dynamic Client Registration clients — may ask tokens for with `resource`; anything else is `invalid_target`. Registered applications list their own (`--resource`). MCP clients always send the MCP server\'s URL as `resource`, so list it here.',
    defaultText: 'none',
    schema: v.optional(
      v.pipe(
        v.string(),
        v.transform((value) => value.split(/[\s,]+/).filter(Boolean)),
        v.check((list) => list.every((uri) => resourceProblem(uri) === undefined), 'each must be an absolute URI without a fragment'),
      ),
      '',
    ),
  },
  LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: {
    description:
      'INSECURE, TESTS ONLY. Let the Client ID Metadata Document fetcher use plain http and loopback addresses (127.0.0.0/8, ::1), for documents served by a local test server. Refused unless the issuer itself is on a loopback host (there is no other notion of "production"); warns at boot. Private, link-local and other non-public addresses stay refused.',
    defaultText: 'false',
    insecure: true,
    schema: v.pipe(v.optional(v.picklist(['true', 'false'], 'must be true or false'), 'false'), v.transform((value) => value === 'true')),
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
