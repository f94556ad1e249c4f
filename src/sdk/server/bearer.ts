import { verifyAccessToken, type AccessTokenClaims, type VerifyAccessTokenOptions } from './verify.js';

export interface BearerOptions extends VerifyAccessTokenOptions {
  /** The `realm` of the challenge (RFC 6750 §3); default `api`. */
  realm?: string;
  /**
   * RFC 9728 §5.1: the URL of the API's protected-resource metadata, sent in every challenge as
   * `resource_metadata` so that a client can discover the authorization server from a 401.
   */
  resourceMetadata?: string;
}

export type BearerOutcome =
  | { ok: true; claims: AccessTokenClaims; token: string }
  | { ok: false; status: 401; headers: Record<string, string>; body: { error: string; error_description: string } };

/** A quoted-string value of the challenge: RFC 6750 §3 allows %x20-21 / %x23-5B / %x5D-7E only. */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

/**
 * RFC 6750 §2.1 and §3: reads `Authorization: Bearer <token>` and verifies it. A request without a
 * bearer token gets a challenge with no error code (§3.1: "SHOULD NOT include an error code"); a bad
 * token gets `error="invalid_token"`. Both are 401.
 */
export async function authenticateBearer(authorization: string | undefined, options: BearerOptions): Promise<BearerOutcome> {
  const realm = `Bearer realm=${quoted(options.realm ?? 'api')}${options.resourceMetadata ? `, resource_metadata=${quoted(options.resourceMetadata)}` : ''}`;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
  if (!match) {
    return {
      ok: false, status: 401, headers: { 'www-authenticate': realm },
      body: { error: 'authentication_required', error_description: 'a bearer access token is required' },
    };
  }
  try {
    return { ok: true, claims: await verifyAccessToken(match[1]!, options), token: match[1]! };
  } catch (error) {
    const description = error instanceof Error ? error.message : 'invalid access token';
    return {
      ok: false, status: 401,
      headers: { 'www-authenticate': `${realm}, error="invalid_token", error_description=${quoted(description)}` },
      body: { error: 'invalid_token', error_description: description },
    };
  }
}
