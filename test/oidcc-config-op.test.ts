import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { schemaMismatch, type JsonSchema } from './helpers/json-schema.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The OpenID Foundation's Config OP certification plan (`oidcc-config-certification-test-plan`,
 * conformance-suite OIDCCConfigTestPlan): its one module, oidcc-discovery-endpoint-verification, with
 * the conditions it calls (OpenID Connect Discovery 1.0 §3, §4; RFC 8414 §2). Also the discovery module
 * of the RP-Initiated Logout plan, which checks the same document for end_session_endpoint.
 *
 * The server runs with an https issuer, as in production: the suite fails a document whose endpoints
 * are not all https (CheckDiscEndpointAllEndpointsAreHttps).
 */
/** The suite's own schema of a discovery document (test/fixtures/oidf/NOTICE.md). */
const SUITE_METADATA_SCHEMA = JSON.parse(readFileSync(new URL('./fixtures/oidf/oauth_authorization_server_metadata.json', import.meta.url), 'utf8')) as
  JsonSchema & { properties: Record<string, JsonSchema & { format?: string }>; additionalProperties: boolean };

describeEachEngine('OpenID Foundation Config OP plan (oidcc-config-certification-test-plan)', (engine) => {
  const issuer = 'https://auth.example.test';
  let server: TestServer;
  let response: Response;
  let metadata: Record<string, any>;

  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_ISSUER: issuer });
    response = await server.request('/.well-known/openid-configuration');
    metadata = (await response.clone().json()) as Record<string, any>;
  });
  afterAll(() => server?.close());

  const endpoints = () => Object.entries(metadata).filter(([name]) => name.endsWith('_endpoint') || name === 'jwks_uri');

  describe('oidcc-discovery-endpoint-verification', () => {
    it('EnsureDiscoveryEndpointResponseStatusCodeIs200, CheckDiscoveryEndpointReturnedJsonContentType', () => {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('CheckDiscEndpointIssuer / IssuerIsValidUrl: issuer is the issuer the document was fetched for (Discovery §4.3)', () => {
      expect(metadata.issuer).toBe(issuer);
      const url = new URL(metadata.issuer);
      expect(url.protocol).toBe('https:');
      expect(url.search + url.hash).toBe('');
    });

    it('OIDCCCheckDiscEndpointResponseTypesSupported: code; response_modes_supported only query (SPEC §9)', () => {
      expect(metadata.response_types_supported).toContain('code');
      expect(metadata.response_modes_supported).toEqual(['query']);
    });

    it('CheckDiscEndpointSubjectTypesSupported: public or pairwise', () => {
      expect(metadata.subject_types_supported.some((type: string) => ['public', 'pairwise'].includes(type))).toBe(true);
    });

    it('OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256', () => {
      expect(metadata.id_token_signing_alg_values_supported).toContain('RS256');
      expect(metadata.id_token_signing_alg_values_supported).not.toContain('none');
    });

    it('CheckDiscEndpointAuthorizationEndpoint / TokenEndpoint / UserinfoEndpoint: present, absolute https URLs on the issuer', () => {
      for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint']) {
        expect(metadata[name], name).toEqual(expect.stringMatching(/^https:\/\//));
      }
      expect(metadata.userinfo_endpoint).toBe(`${issuer}/v1/auth/oauth/userinfo`);
    });

    it('CheckDiscEndpointRegistrationEndpoint: absent (dynamic registration is not offered)', () => {
      expect(metadata).not.toHaveProperty('registration_endpoint');
    });

    it('CheckJwksUri, FetchServerKeys, ValidateJwksSequence: the JWKS is JSON with public keys only, an RS256 key among them', async () => {
      expect(metadata.jwks_uri).toBe(`${issuer}/.well-known/jwks.json`);
      const jwks = await (await server.request('/.well-known/jwks.json')).json();
      expect(jwks.keys.length).toBeGreaterThan(0);
      const kids = new Set<string>();
      for (const key of jwks.keys) {
        expect(key.kid).toEqual(expect.any(String));
        kids.add(key.kid);
        for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key, `${key.kid} has no ${privatePart}`).not.toHaveProperty(privatePart);
      }
      expect(kids.size, 'kids are unique').toBe(jwks.keys.length);
      expect(jwks.keys.some((key: { kty: string; alg?: string }) => key.kty === 'RSA' && (key.alg ?? 'RS256') === 'RS256')).toBe(true);
    });

    it('CheckDiscEndpointRequestParameterSupported / RequestUriParameterSupported: false, as SPEC §9 says (request objects refused)', () => {
      expect(metadata.request_parameter_supported).toBe(false);
      expect(metadata.request_uri_parameter_supported).toBe(false);
    });

    it('CheckDiscEndpointClaimsParameterSupported and OIDCCCheckDiscEndpointClaimsSupported: claims parameter on, claims_supported an array of the standard claims', () => {
      expect(metadata.claims_parameter_supported).toBe(true);
      expect(Array.isArray(metadata.claims_supported)).toBe(true);
      for (const claim of ['sub', 'iss', 'auth_time', 'name', 'given_name', 'family_name', 'email', 'email_verified', 'phone_number', 'phone_number_verified']) {
        expect(metadata.claims_supported, claim).toContain(claim);
      }
    });

    it('OIDCCCheckDiscEndpointGrantTypesSupported: a non-empty array with authorization_code and refresh_token', () => {
      expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    });

    it('CheckDiscEndpointScopesSupportedContainsOpenId / ScopesSupportedSyntax: every SPEC §9 scope, valid scope tokens (RFC 6749 §3.3)', async () => {
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']));
      for (const scope of metadata.scopes_supported) expect(scope).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
      // SPEC §9: also in the RFC 8414 document.
      const oauth = await (await server.request('/.well-known/oauth-authorization-server')).json();
      expect(oauth.scopes_supported).toEqual(metadata.scopes_supported);
    });

    it('CheckDiscEndpointLocalesSyntax: ui_locales_supported / claims_locales_supported, when present, are arrays of language tags', () => {
      for (const name of ['ui_locales_supported', 'claims_locales_supported']) {
        if (name in metadata) for (const tag of metadata[name]) expect(tag).toMatch(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/);
      }
    });

    it('CheckDiscEndpointAllEndpointsAreHttps: every endpoint is https', () => {
      expect(endpoints().length).toBeGreaterThan(4);
      for (const [name, value] of endpoints()) expect(value, name).toMatch(/^https:\/\//);
    });

    it('EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray: S256 only', () => {
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    });

    it('ValidateServerMetadataAgainstSchema and CheckForUnexpectedParametersInServerMetadata: the suite\'s own schema, no field it does not know', () => {
      expect(schemaMismatch(SUITE_METADATA_SCHEMA, metadata)).toBeUndefined();
      for (const [name, value] of Object.entries(metadata)) {
        const property = SUITE_METADATA_SCHEMA.properties[name];
        expect(property, `${name} is a field the suite knows`).toBeDefined();
        if (property?.format === 'uri') expect(() => new URL(value as string), `${name} is a URI`).not.toThrow();
      }
    });

    it('arrays of strings, boolean flags, and prompt_values_supported (SPEC §9)', () => {
      for (const [name, value] of Object.entries(metadata)) {
        if (name.endsWith('_supported') && Array.isArray(value)) for (const item of value) expect(typeof item, name).toBe('string');
        if (name.endsWith('_parameter_supported')) expect(typeof value, name).toBe('boolean');
      }
      // SPEC §9 names prompt_values_supported too (OpenID Connect Prompt Create §4.1 registered it).
      expect(metadata.prompt_values_supported).toEqual(expect.arrayContaining(['none', 'login', 'consent']));
    });

    it('a stock relying party (openid-client) accepts the document from discovery alone', async () => {
      const plain = await startTestServer(engine);
      try {
        const config = await client.discovery(new URL(plain.url), 'pk_test_any', undefined, client.None(), { execute: [client.allowInsecureRequests] });
        expect(config.serverMetadata().issuer).toBe(plain.url);
        expect(config.serverMetadata().supportsPKCE()).toBe(true);
      } finally {
        await plain.close();
      }
    });
  });

  describe('oidcc-rp-initiated-logout-discovery-endpoint-verification', () => {
    it('end_session_endpoint is present and https (OpenID Connect RP-Initiated Logout 1.0 §2.1)', () => {
      expect(metadata.end_session_endpoint).toBe(`${issuer}/v1/auth/oauth/end-session`);
    });
  });
});
