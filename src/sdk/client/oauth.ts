import { errorFromResponse, ResponseCheckFailed } from '../shared/errors.js';
import { callApi, trimBaseUrl, type FetchLike } from '../shared/http.js';
import type { AuthorizationSession, AuthorizeResult, LoginResult, PasswordLogin, TokenResponse } from '../shared/wire.js';
import { codeChallengeS256, randomToken } from './pkce.js';
import { signedAssertion, type PasskeySignInOptions } from './webauthn.js';

export interface OAuthClientOptions {
  /** Latchkey's URL. */
  baseUrl: string;
  /** The application's publishable key: its OAuth `client_id` (SPEC §1). */
  clientId: string;
  /** A redirect URI registered for the application. */
  redirectUri: string;
  /** The issuer the server names in `iss` (RFC 9207); `baseUrl` unless told otherwise. */
  issuer?: string;
  fetch?: FetchLike;
}

/** One authorization request in progress: keep it (e.g. in sessionStorage) until the code is exchanged. */
export interface AuthorizationTransaction extends AuthorizationSession {
  state: string;
  codeVerifier: string;
  redirectUri: string;
  nonce?: string;
}

export interface OAuthClient {
  /** SPEC §6.1 `mode=api`: starts a request with a fresh PKCE verifier and `state`. */
  start(options?: { scope?: string; nonce?: string }): Promise<AuthorizationTransaction>;
  /** SPEC §6.2: signs the user in; `isOtpRequired` asks for `otpCode` (send it with `sendLoginOtp`). */
  login(credentials: PasswordLogin): Promise<LoginResult>;
  /**
   * SPEC §6.2 / §12 with a passkey: `/v1/auth/passkey/options` → navigator.credentials.get →
   * `/v1/auth/passkey/verify`, answered as `login`. Used without user verification, a user with a
   * second factor gets `isOtpRequired` (and `secondFactors`): call again with the code — a new ceremony.
   */
  passkeyLogin(options?: PasskeySignInOptions & { otpCode?: string; totpCode?: string; recoveryCode?: string }): Promise<LoginResult>;
  /** SPEC §6.2: sends the second-factor code to the user's phone. */
  sendLoginOtp(userId: string): Promise<void>;
  /** SPEC §6.3: approves the request with the login token; the answer's `state` and `iss` are checked. Returns the code. */
  authorize(transaction: AuthorizationTransaction, loginToken: string): Promise<string>;
  /** Reads a redirect back to `redirectUri` (hosted mode): checks `state` and `iss`, returns the code or throws the error it carries. */
  parseCallback(transaction: AuthorizationTransaction, url: string | URL): string;
  /** SPEC §6.4: the code, with its verifier, for tokens. */
  exchangeCode(transaction: AuthorizationTransaction, code: string): Promise<TokenResponse>;
  /** SPEC §6.4 `grant_type=refresh_token` (rotated on every use: keep the new one). */
  refresh(refreshToken: string, options?: { scope?: string }): Promise<TokenResponse>;
}

/** SPEC §11: the API-mode helper for public clients (SPEC §6.1–6.4), PKCE and `state` generated. */
export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const baseUrl = trimBaseUrl(options.baseUrl);
  const issuer = options.issuer ?? baseUrl;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const clientKey = { 'x-client-key': options.clientId };
  const token = (form: Record<string, string>) =>
    callApi<TokenResponse>(fetchFn, `${baseUrl}/v1/auth/oauth/token`, { form: { ...form, client_id: options.clientId } });

  const parseCallback = (transaction: AuthorizationTransaction, url: string | URL): string => {
    const params = new URL(url).searchParams;
    // RFC 9700 §4.7 / RFC 6749 §10.12: the answer must belong to the request this browser made.
    if (params.get('state') !== transaction.state) throw new ResponseCheckFailed('response_check_failed', 'state does not match the request');
    // RFC 9207 §2.4: the answer must come from the issuer the request went to (mix-up defence).
    if (params.get('iss') !== issuer) throw new ResponseCheckFailed('response_check_failed', `iss is not ${issuer}`);
    const error = params.get('error');
    if (error) throw errorFromResponse(400, { error, error_description: params.get('error_description') ?? error });
    const code = params.get('code');
    if (!code) throw new ResponseCheckFailed('response_check_failed', 'the redirect carries no code');
    return code;
  };

  return {
    async start(startOptions = {}) {
      const state = randomToken();
      const codeVerifier = randomToken();
      const query = new URLSearchParams({
        response_type: 'code', client_id: options.clientId, redirect_uri: options.redirectUri, state,
        code_challenge: await codeChallengeS256(codeVerifier), code_challenge_method: 'S256', mode: 'api',
      });
      if (startOptions.scope) query.set('scope', startOptions.scope);
      if (startOptions.nonce) query.set('nonce', startOptions.nonce);
      const session = await callApi<AuthorizationSession>(fetchFn, `${baseUrl}/v1/auth/oauth/authorize/initiate?${query}`, {});
      return { ...session, state, codeVerifier, redirectUri: options.redirectUri, ...(startOptions.nonce ? { nonce: startOptions.nonce } : {}) };
    },
    login(credentials) {
      return callApi<LoginResult>(fetchFn, `${baseUrl}/v1/auth/login`, { headers: clientKey, json: credentials });
    },
    async passkeyLogin({ mediation, signal, ...secondFactor } = {}) {
      const credential = await signedAssertion({ mediation, signal }, (abort) => callApi(fetchFn, `${baseUrl}/v1/auth/passkey/options`, { method: 'POST', headers: clientKey, signal: abort }));
      return callApi<LoginResult>(fetchFn, `${baseUrl}/v1/auth/passkey/verify`, { headers: clientKey, json: { credential, ...secondFactor } });
    },
    async sendLoginOtp(userId) {
      await callApi(fetchFn, `${baseUrl}/v1/auth/login/otp`, { headers: clientKey, json: { userId } });
    },
    async authorize(transaction, loginToken) {
      const result = await callApi<AuthorizeResult>(fetchFn, `${baseUrl}/v1/auth/oauth/authorize`, {
        headers: { ...clientKey, authorization: `Bearer ${loginToken}` },
        json: { token: transaction.token },
      });
      return parseCallback(transaction, result.url);
    },
    parseCallback,
    exchangeCode(transaction, code) {
      return token({ grant_type: 'authorization_code', code, redirect_uri: transaction.redirectUri, code_verifier: transaction.codeVerifier });
    },
    refresh(refreshToken, refreshOptions = {}) {
      return token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...(refreshOptions.scope ? { scope: refreshOptions.scope } : {}) });
    },
  };
}
