import * as v from 'valibot';

/** RFC 6749 §5.2 error body (SPEC §3). */
export const OAuthErrorBody = v.object({ error: v.string(), error_description: v.string() });

/**
 * SPEC §6.1 / §9 parameters of an authorization request, in the query of a GET or the form body of a
 * POST (documented; parsed by the OAuth parameter rules of RFC 6749 §3.1 and the flow's own rules).
 */
export const InitiateQuery = v.object({
  // Required unless request_uri stands for the pushed parameters (RFC 9126 §4).
  response_type: v.optional(v.literal('code')),
  client_id: v.optional(v.string()),
  redirect_uri: v.optional(v.string()),
  request_uri: v.optional(v.pipe(v.string(), v.description('RFC 9126 §4: the request_uri of a pushed authorization request of this client; the pushed parameters replace every other one'))),
  state: v.optional(v.pipe(v.string(), v.maxLength(512))),
  // Required for public applications and unless the application was created with PKCE optional.
  code_challenge: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9\-_]{43}$/))),
  code_challenge_method: v.optional(v.literal('S256')),
  scope: v.optional(v.string()),
  nonce: v.optional(v.pipe(v.string(), v.maxLength(512))),
  mode: v.optional(v.literal('api')),
  prompt: v.optional(v.string()),
  max_age: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/))),
  login_hint: v.optional(v.pipe(v.string(), v.maxLength(256))),
  id_token_hint: v.optional(v.string()),
  claims: v.optional(v.string()),
  response_mode: v.optional(v.literal('query')),
  display: v.optional(v.picklist(['page', 'popup', 'touch', 'wap'])),
  ui_locales: v.optional(v.string()),
  claims_locales: v.optional(v.string()),
  acr_values: v.optional(v.string()),
  resource: v.optional(v.pipe(v.string(), v.description('RFC 8707: a resource indicator (absolute URI, no fragment) listed for the application; may repeat'))),
  dpop_jkt: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/), v.description('RFC 9449 §10: JWK SHA-256 thumbprint of the DPoP key the code must be redeemed with'))),
});

/** RFC 9126 §2.1: the parameters of step 1 (no request_uri), with the client's authentication as at the token endpoint. */
export const PushedAuthorizationRequestBody = v.object({
  ...v.omit(InitiateQuery, ['request_uri']).entries,
  response_type: v.literal('code'),
  redirect_uri: v.string(),
  client_secret: v.optional(v.string()),
});

/** RFC 9126 §2.2. */
export const PushedAuthorizationResponseBody = v.object({
  request_uri: v.pipe(v.string(), v.description('urn:ietf:params:oauth:request_uri:…, single use')),
  expires_in: v.pipe(v.number(), v.description('seconds: 60')),
});

export const InitiateResponse = v.object({ token: v.string(), url: v.string() });

/** Seed 001 request and response. */
export const AuthorizeRequestBody = v.object({ token: v.string() });
// `state` is absent when step 1 sent none (SPEC §6.1).
export const AuthorizeResponseBody = v.object({ url: v.string(), code: v.string(), state: v.optional(v.string()) });

/** SPEC §6.4 request (form or JSON). */
export const TokenRequestBody = v.object({
  grant_type: v.picklist(['authorization_code', 'refresh_token', 'client_credentials']),
  code: v.optional(v.string()),
  redirect_uri: v.optional(v.string()),
  code_verifier: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9\-._~]{43,128}$/))),
  refresh_token: v.optional(v.string()),
  scope: v.optional(v.string()),
  resource: v.optional(v.pipe(v.string(), v.description('RFC 8707: the one resource this access token is for (its aud): granted at authorization, or listed for the application (client_credentials)'))),
  client_id: v.optional(v.string()),
  client_secret: v.optional(v.string()),
});

/** SPEC §6.4 response. */
export const TokenResponseBody = v.object({
  access_token: v.string(),
  token_type: v.pipe(v.picklist(['Bearer', 'DPoP']), v.description('DPoP when the request carried a DPoP proof (RFC 9449 §5): the access token is bound to its key (cnf.jkt)')),
  expires_in: v.number(),
  refresh_token: v.optional(v.string()),
  refresh_token_expires_in: v.optional(v.number()),
  scope: v.optional(v.string()),
  id_token: v.optional(v.string()),
});

/** RFC 7009 / RFC 7662 request. */
export const TokenParamBody = v.object({
  token: v.string(),
  token_type_hint: v.optional(v.picklist(['access_token', 'refresh_token'])),
  client_id: v.optional(v.string()),
  client_secret: v.optional(v.string()),
});

/** RFC 7662 §2.2 response. */
export const IntrospectionBody = v.object({
  active: v.boolean(),
  token_type: v.optional(v.string()),
  client_id: v.optional(v.string()),
  sub: v.optional(v.string()),
  scope: v.optional(v.string()),
  iss: v.optional(v.string()),
  aud: v.optional(v.string()),
  iat: v.optional(v.number()),
  exp: v.optional(v.number()),
  jti: v.optional(v.string()),
  cnf: v.optional(v.pipe(v.object({ jkt: v.string() }), v.description('RFC 9449 §6.2: the DPoP key the token is bound to'))),
});

/** SPEC §6.7 response. */
export const UserBody = v.object({
  id: v.string(),
  email: v.nullable(v.string()),
  firstName: v.optional(v.string()),
  lastName: v.optional(v.string()),
  phoneNumber: v.optional(v.string()),
});
