import * as v from 'valibot';
import type { RateLimitName, RateLimitRule } from '../protocol/rate-limits.js';
import { SETTINGS, type SettingName } from './settings.js';
import { parseTestFault, type TestFault } from './test-fault.js';

/** The validated, frozen configuration every part of the server receives explicitly (STYLE §8). */
export interface Config {
  readonly databaseUrl: string;
  /** LATCHKEY_DATABASE_PREPARED_STATEMENTS (PostgreSQL named statements). */
  readonly usePreparedStatements: boolean;
  readonly port: number;
  readonly host: string;
  /** LATCHKEY_ADMIN_LISTEN: the admin listener (SPEC §10), or null when it is off. */
  readonly adminListen: ListenAddress | null;
  readonly issuer: string;
  /** LATCHKEY_WEBAUTHN_RP_ID: the relying party ID of passkeys (SPEC §12), by default the issuer's host. */
  readonly webauthnRpId: string;
  /** Undefined until {@link resolveSecret} fills it from the environment or the secret file. */
  readonly secret: string | undefined;
  /** LATCHKEY_INSECURE_HTTP_ISSUER: an http issuer on a non-loopback host was allowed. */
  readonly isInsecureHttpIssuer: boolean;
  readonly redisUrl: string | undefined;
  readonly redisFailureMode: 'memory' | 'closed';
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  readonly keyCacheSeconds: number;
  readonly secretOverlapSeconds: number;
  readonly trustedProxyHops: number;
  readonly rateLimits: RateLimitSettings;
  readonly passwordHashing: { readonly memoryCostKib: number; readonly timeCost: number; readonly parallelism: number };
  readonly housekeepingIntervalSeconds: number;
  readonly housekeepingBatchSize: number;
  readonly shutdownTimeoutSeconds: number;
  /** SPEC §13: clients nobody registered by hand (LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION, LATCHKEY_INSECURE_CLIENT_METADATA_FETCH). */
  readonly clientRegistration: { readonly organizationName: string; readonly allowInsecureMetadataFetch: boolean; readonly resources: readonly string[] };
  /** LATCHKEY_TEST_FAULT: test only (test-fault.ts); undefined unless a crash test sets it. */
  readonly testFault: TestFault | undefined;
}

/** A host and port to listen on. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Every configurable limit, by endpoint class and key (SPEC §3 429s). */
export type RateLimitSettings = Readonly<Record<RateLimitName, RateLimitRule>>;

/** Thrown at boot with one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (only the LATCHKEY_* names of SETTINGS); throws ConfigError naming each bad value. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const values = {} as Record<SettingName, unknown>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = v.safeParse(SETTINGS[name].schema, raw);
    if (result.success) values[name] = result.output;
    else problems.push(`${name}: ${result.issues[0].message}${name === 'LATCHKEY_SECRET' ? '' : ` (got ${JSON.stringify(withoutPassword(raw))})`}`);
  }
  const testFault = parseTestFault(env.LATCHKEY_TEST_FAULT);
  if (testFault && 'problem' in testFault) problems.push(testFault.problem);
  const port = values.LATCHKEY_PORT as number;
  const issuer = (values.LATCHKEY_ISSUER as string | undefined) ?? `http://localhost:${port}`;
  const allowInsecureIssuer = values.LATCHKEY_INSECURE_HTTP_ISSUER === true;
  // SPEC §7: cookies are Secure except on loopback in development — so is the issuer.
  if (problems.length === 0 && isPlainHttpOffLoopback(issuer) && !allowInsecureIssuer) {
    problems.push(`LATCHKEY_ISSUER: must be https unless its host is localhost, 127.0.0.1 or [::1] (got ${JSON.stringify(issuer)}; LATCHKEY_INSECURE_HTTP_ISSUER=true overrides)`);
  }
  const webauthnRpId = (values.LATCHKEY_WEBAUTHN_RP_ID as string | undefined) ?? (problems.length === 0 ? new URL(issuer).hostname : '');
  // WebAuthn L3 §5.1.3: the RP ID must be the origin's effective domain or a registrable suffix of it,
  // or no browser runs a ceremony for it on the hosted pages.
  if (problems.length === 0 && !isDomainOrParent(new URL(issuer).hostname, webauthnRpId)) {
    problems.push(`LATCHKEY_WEBAUTHN_RP_ID: must be the issuer's host or a parent domain of it (got ${JSON.stringify(webauthnRpId)}, issuer host ${JSON.stringify(new URL(issuer).hostname)})`);
  }
  // A test-only weakening: refused where the issuer says this is a real deployment (any non-loopback host).
  if (problems.length === 0 && values.LATCHKEY_INSECURE_CLIENT_METADATA_FETCH === true && !isLoopbackUrl(issuer)) {
    problems.push(`LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: only for tests, with an issuer on localhost, 127.0.0.1 or [::1] (got issuer ${JSON.stringify(issuer)})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    databaseUrl: values.LATCHKEY_DATABASE_URL as string,
    usePreparedStatements: values.LATCHKEY_DATABASE_PREPARED_STATEMENTS as boolean,
    port,
    host: values.LATCHKEY_HOST as string,
    adminListen: values.LATCHKEY_ADMIN_LISTEN as ListenAddress | null,
    issuer,
    isInsecureHttpIssuer: isPlainHttpOffLoopback(issuer),
    webauthnRpId,
    secret: values.LATCHKEY_SECRET as string | undefined,
    redisUrl: values.LATCHKEY_REDIS_URL as string | undefined,
    redisFailureMode: values.LATCHKEY_REDIS_FAILURE_MODE as 'memory' | 'closed',
    logLevel: values.LATCHKEY_LOG_LEVEL as string,
    bodyLimitBytes: values.LATCHKEY_BODY_LIMIT_BYTES as number,
    keyCacheSeconds: values.LATCHKEY_KEY_CACHE_SECONDS as number,
    secretOverlapSeconds: values.LATCHKEY_SECRET_OVERLAP_SECONDS as number,
    trustedProxyHops: values.LATCHKEY_TRUSTED_PROXY_HOPS as number,
    rateLimits: Object.freeze({
      otpRequestPerDestination: values.LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_DESTINATION as RateLimitRule,
      otpRequestPerIp: values.LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP as RateLimitRule,
      otpVerifyPerDestination: values.LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION as RateLimitRule,
      guestPerIp: values.LATCHKEY_RATE_LIMIT_GUEST_PER_IP as RateLimitRule,
      externalAuthorizePerApplication: values.LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION as RateLimitRule,
      loginPerIp: values.LATCHKEY_RATE_LIMIT_LOGIN_PER_IP as RateLimitRule,
      loginFailuresPerAccount: values.LATCHKEY_RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT as RateLimitRule,
      secondFactorPerConsumer: values.LATCHKEY_RATE_LIMIT_SECOND_FACTOR_PER_CONSUMER as RateLimitRule,
      accountChangesPerIp: values.LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP as RateLimitRule,
      registrationPerIp: values.LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP as RateLimitRule,
      metadataDocumentPerIp: values.LATCHKEY_RATE_LIMIT_METADATA_DOCUMENT_PER_IP as RateLimitRule,
    }),
    housekeepingIntervalSeconds: values.LATCHKEY_HOUSEKEEPING_INTERVAL_SECONDS as number,
    housekeepingBatchSize: values.LATCHKEY_HOUSEKEEPING_BATCH_SIZE as number,
    shutdownTimeoutSeconds: values.LATCHKEY_SHUTDOWN_TIMEOUT_SECONDS as number,
    clientRegistration: Object.freeze({
      organizationName: values.LATCHKEY_CLIENT_REGISTRATION_ORGANIZATION as string,
      allowInsecureMetadataFetch: values.LATCHKEY_INSECURE_CLIENT_METADATA_FETCH as boolean,
      resources: Object.freeze([...((values.LATCHKEY_CLIENT_REGISTRATION_RESOURCES as string[] | '') || [])]),
    }),
    testFault: testFault as TestFault | undefined,
    passwordHashing: Object.freeze({
      memoryCostKib: values.LATCHKEY_ARGON2_MEMORY_KIB as number,
      timeCost: values.LATCHKEY_ARGON2_TIME_COST as number,
      parallelism: values.LATCHKEY_ARGON2_PARALLELISM as number,
    }),
  });
}

/** A URL's password (`scheme://user:password@host`) masked: a bad value is echoed, its secret is not. */
function withoutPassword(raw: string | undefined): string | undefined {
  return raw?.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** True when `host` is `domain` or a subdomain of it (labels, not characters: `badexample.com` is not under `example.com`). */
function isDomainOrParent(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** True for a URL whose host is a loopback name or address. */
function isLoopbackUrl(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

/** True for an http URL whose host is not a loopback name or address. */
export function isPlainHttpOffLoopback(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
}
