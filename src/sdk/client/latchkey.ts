import { AuthenticationRequired, InvalidRefreshToken, LatchkeyError } from '../shared/errors.js';
import { callApi, readResponse, trimBaseUrl, type FetchLike } from '../shared/http.js';
import type {
  AuthSession, ConsumerProfile, OtpRequest, OtpVerify, Passkey, PasskeyOptions, RecoveryCodes, RefreshedTokens, SecondFactorList, SecondFactorRequired,
  TotpConfirmed, TotpEnrollment,
} from '../shared/wire.js';
import { parseStored, storedFromAuthSession, storedFromRefresh, type LatchkeySession, type StoredSession } from './session.js';
import { defaultStore, type TokenStore } from './storage.js';
import { openChannel, withTabLock } from './tabs.js';
import { createCredential, credentialToJSON, isWebAuthnAvailable, requireWebAuthn, signedAssertion, type PasskeySignInOptions } from './webauthn.js';

export interface LatchkeyOptions {
  /** Latchkey's URL (its issuer), e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** The application's publishable key `pk_test_…` / `pk_live_…` (SPEC §1). */
  publishableKey: string;
  /** Where tokens are kept: IndexedDB by default (see TokenStore for the trade-offs). */
  store?: TokenStore;
  /** Refresh this long before the access token expires (default 60 s). */
  refreshLeewaySeconds?: number;
  fetch?: FetchLike;
}

/**
 * The outcome of a sign-in (`otp.verify`, `passkey.signIn`): signed in, or (SPEC §12) a second factor
 * is due — `secondFactors` lists what can complete it (`totp`: the authenticator app's code or a
 * recovery code; `sms`: `secondFactor.request` sends a code).
 */
export type SignInResult = { status: 'signed_in'; session: LatchkeySession } | ({ status: 'second_factor_required' } & SecondFactorRequired);
/** @deprecated the same as SignInResult. */
export type OtpVerifyResult = SignInResult;

/** SPEC §12: what completes a pending sign-in — exactly one of the SMS `code`, the authenticator app's `totpCode`, a `recoveryCode`. */
export type SecondFactorAnswer = { secondFactorToken: string } & ({ code: string } | { totpCode: string } | { recoveryCode: string });

/** SPEC §12: what proves the person holds their authenticator app: a current code, or one of their recovery codes. */
export type TotpProof = { totpCode: string } | { recoveryCode: string };

export type SessionListener = (session: LatchkeySession | null) => void;

export interface Latchkey {
  /** SPEC §5.2: redeems an exchange code (minted by your backend) for a session; a guest session here is linked. */
  exchange(exchangeCode: string, options?: { codeVerifier?: string }): Promise<LatchkeySession>;
  /** SPEC §5.3: starts a guest session. */
  guest(): Promise<LatchkeySession>;
  otp: {
    /** SPEC §5.4: sends a one-time passcode (the same answer whether or not the address is known). */
    request(body: OtpRequest): Promise<void>;
    /** SPEC §5.4: signs in with the code; a guest session here is linked. */
    verify(body: OtpVerify): Promise<SignInResult>;
  };
  passkey: {
    /** Whether this page can run passkey ceremonies (WebAuthn in a secure context); with `'conditional'`, whether autofill can offer passkeys. */
    isAvailable(mediation?: CredentialMediationRequirement): Promise<boolean>;
    /** SPEC §12: signs in with a discoverable passkey (`/auth/passkey/options`, `navigator.credentials.get`, `/auth/passkey/verify`); a guest session here is linked. */
    signIn(options?: PasskeySignInOptions): Promise<SignInResult>;
    /**
     * SPEC §12: registers a new passkey for the signed-in person (`navigator.credentials.create`). A
     * person with a second factor proves it too — one of `code` (SMS), `totpCode`, `recoveryCode` —
     * or the server answers StepUpRequired.
     */
    register(options?: { name?: string; signal?: AbortSignal; code?: string; totpCode?: string; recoveryCode?: string }): Promise<Passkey>;
    /** The signed-in person's passkeys, oldest first. */
    list(): Promise<Passkey[]>;
    rename(passkeyId: string, name: string): Promise<Passkey>;
    remove(passkeyId: string): Promise<void>;
  };
  secondFactor: {
    /** SPEC §12: sends the SMS code of a pending sign-in. */
    request(secondFactorToken: string): Promise<void>;
    /** SPEC §12: completes a pending sign-in with the SMS code, the authenticator app's code or a recovery code. */
    verify(body: SecondFactorAnswer): Promise<LatchkeySession>;
    /** The signed-in person's second factors (never a secret). */
    list(): Promise<SecondFactorList>;
  };
  /** SPEC §12: the signed-in person's authenticator app (TOTP, RFC 6238). */
  totp: {
    /** Starts (or restarts) an enrollment: the secret, its otpauth:// URI and a QR code (SVG) — show them once. */
    enroll(): Promise<TotpEnrollment>;
    /** Turns it on with the app's first code; answers the ten recovery codes, shown this once. */
    confirm(totpCode: string): Promise<TotpConfirmed>;
    /** Removes it and its recovery codes (no proof: cancels a pending enrollment). */
    remove(proof?: TotpProof): Promise<void>;
  };
  recoveryCodes: {
    /** Ten new recovery codes replace every old one; shown this once. */
    regenerate(proof: TotpProof): Promise<string[]>;
  };
  /** SPEC §5.5: rotates the refresh token, once for all tabs (Web Locks); signs out when the server refuses it. */
  refresh(): Promise<LatchkeySession>;
  /** SPEC §5.6: ends the session on the server and in every tab. */
  logout(): Promise<void>;
  /** A live access token, refreshed ahead of expiry; null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** The current session, or null. */
  getSession(): Promise<LatchkeySession | null>;
  /** SPEC §5.7: the signed-in consumer. */
  me(): Promise<ConsumerProfile>;
  /** Called with the new session (sign-in, refresh, another tab's change) or null (signed out); returns the unsubscribe function. */
  onSessionChange(listener: SessionListener): () => void;
  /** `fetch` with `Authorization: Bearer <access token>`; on a 401 it refreshes once and retries. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Stops listening to other tabs. */
  close(): void;
}

type TabMessage = { kind: 'session'; session: StoredSession } | { kind: 'signed-out' };

/** SPEC §11: the browser client of the consumer API (§5). */
export function createLatchkey(options: LatchkeyOptions): Latchkey {
  const baseUrl = trimBaseUrl(options.baseUrl);
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const store = options.store ?? defaultStore();
  const storageKey = `latchkey:${options.publishableKey}`;
  const leewayMs = (options.refreshLeewaySeconds ?? 60) * 1000;
  const keyHeader = { 'x-publishable-key': options.publishableKey };
  const listeners = new Set<SessionListener>();
  const channel = openChannel(storageKey);
  let lastNotified: string | null | undefined;
  let inflight: Promise<StoredSession> | undefined;
  /** The refresh token this tab last saw (read, saved, or heard from another tab). */
  let lastKnown: string | undefined;

  const read = async () => {
    const stored = parseStored(await store.get(storageKey));
    lastKnown = stored?.refreshToken;
    return stored;
  };

  const notify = (stored: StoredSession | null) => {
    const marker = stored && stored.refreshToken;
    if (marker === lastNotified) return;
    lastNotified = marker;
    for (const listener of listeners) listener(stored && stored.session);
  };

  /** Writes (or clears) the session, tells the other tabs, then this tab's listeners. */
  const save = async (stored: StoredSession | null) => {
    lastKnown = stored?.refreshToken;
    if (stored) await store.set(storageKey, JSON.stringify(stored));
    else await store.remove(storageKey);
    channel?.postMessage((stored ? { kind: 'session', session: stored } : { kind: 'signed-out' }) satisfies TabMessage);
    notify(stored);
  };

  if (channel) {
    channel.onmessage = async (event: MessageEvent<TabMessage>) => {
      const next = event.data.kind === 'session' ? event.data.session : null;
      lastKnown = next?.refreshToken;
      // A shared store (localStorage) already holds it; a tab's own store (memory) needs the copy.
      if ((await read())?.refreshToken !== next?.refreshToken) {
        if (next) await store.set(storageKey, JSON.stringify(next));
        else await store.remove(storageKey);
      }
      notify(next);
    };
  }

  const post = <T>(path: string, json?: unknown, headers: Record<string, string> = {}) =>
    callApi<T>(fetchFn, baseUrl + path, { method: 'POST', headers: { ...keyHeader, ...headers }, json });

  /** SPEC §5.2 / §5.4: a guest's access token sent along links the guest to the identity. */
  const guestHeaders = async (): Promise<Record<string, string>> => {
    const stored = await read();
    if (stored?.session.type !== 'guest') return {};
    const token = await getAccessToken().catch(() => null);
    return token ? { authorization: `Bearer ${token}` } : {};
  };

  const startSession = async (body: AuthSession) => {
    const stored = storedFromAuthSession(body, Date.now());
    await save(stored);
    return stored.session;
  };

  /** A sign-in's answer: a session, or the pending state of SPEC §12. */
  const signedIn = async (answer: AuthSession | SecondFactorRequired): Promise<SignInResult> =>
    'secondFactorRequired' in answer ? { status: 'second_factor_required', ...answer } : { status: 'signed_in', session: await startSession(answer) };

  /**
   * Single-flight refresh (issue 16). Inside the cross-tab lock the store is read again: when its
   * refresh token is no longer `known`, another tab rotated while this one waited, and its tokens
   * are used — presenting `known` again would look like a replay (SPEC §4) and end the session.
   */
  const refreshFrom = (known: string | undefined): Promise<StoredSession> => {
    inflight ??= withTabLock(storageKey, async () => {
      const stored = await read();
      if (!stored) throw new AuthenticationRequired('authentication_required', 'not signed in');
      if (known !== undefined && stored.refreshToken !== known) {
        notify(stored);
        return stored;
      }
      try {
        const body = await post<RefreshedTokens>('/auth/refresh', { refreshToken: stored.refreshToken });
        const next = storedFromRefresh(stored, body, Date.now());
        await save(next);
        return next;
      } catch (error) {
        // The session is over (revoked, expired, or replayed): sign out everywhere.
        if (error instanceof InvalidRefreshToken) await save(null);
        throw error;
      }
    }).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  async function getAccessToken(): Promise<string | null> {
    const stored = await read();
    if (!stored) return null;
    if (stored.accessTokenExpiresAtMs - leewayMs > Date.now()) return stored.accessToken;
    try {
      return (await refreshFrom(stored.refreshToken)).accessToken;
    } catch (error) {
      if (error instanceof InvalidRefreshToken) return null;
      throw error;
    }
  }

  async function authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    // Kept unread for the retry: a body can be sent once.
    const retry = request.clone();
    const token = await getAccessToken();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    const response = await fetchFn(request);
    if (response.status !== 401 || !token) return response;
    const stored = await read();
    if (!stored) return response;
    let fresh = stored;
    try {
      // Unless another tab has already replaced the token that was refused, refresh from it.
      if (stored.accessToken === token) fresh = await refreshFrom(stored.refreshToken);
    } catch (error) {
      if (error instanceof LatchkeyError) return response;
      throw error;
    }
    retry.headers.set('authorization', `Bearer ${fresh.accessToken}`);
    return fetchFn(retry);
  }

  /** A call as the signed-in person (the access token, refreshed as `fetch` does); errors typed as every call's. */
  const asMe = async <T>(path: string, method?: string, json?: unknown): Promise<T> =>
    readResponse<T>(await authorizedFetch(`${baseUrl}/consumers/me${path}`, {
      method: method ?? (json === undefined ? 'GET' : 'POST'),
      headers: { accept: 'application/json', ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    }));

  return {
    async exchange(exchangeCode, exchangeOptions = {}) {
      const body = { exchangeCode, ...(exchangeOptions.codeVerifier ? { codeVerifier: exchangeOptions.codeVerifier } : {}) };
      return startSession(await post<AuthSession>('/auth/external/exchange', body, await guestHeaders()));
    },
    async guest() {
      return startSession(await post<AuthSession>('/auth/guest'));
    },
    otp: {
      async request(body) {
        await post('/auth/otp/request', body);
      },
      async verify(body) {
        return signedIn(await post('/auth/otp/verify', body, await guestHeaders()));
      },
    },
    passkey: {
      isAvailable: isWebAuthnAvailable,
      async signIn(options = {}) {
        const credential = await signedAssertion(options, (signal) => callApi(fetchFn, `${baseUrl}/auth/passkey/options`, { method: 'POST', headers: keyHeader, signal }));
        return signedIn(await post('/auth/passkey/verify', { credential }, await guestHeaders()));
      },
      async register({ name, signal, ...proof } = {}) {
        await requireWebAuthn();
        const { options } = await asMe<PasskeyOptions>('/passkeys/registration/options', 'POST');
        const credential = credentialToJSON(await createCredential(options, signal));
        return asMe<Passkey>('/passkeys/registration/verify', 'POST', { credential, name, ...proof });
      },
      async list() {
        return (await asMe<{ passkeys: Passkey[] }>('/passkeys')).passkeys;
      },
      rename: (passkeyId, name) => asMe(`/passkeys/${encodeURIComponent(passkeyId)}`, 'PATCH', { name }),
      remove: (passkeyId) => asMe(`/passkeys/${encodeURIComponent(passkeyId)}`, 'DELETE'),
    },
    secondFactor: {
      async request(secondFactorToken) {
        await post('/auth/second-factor/request', { secondFactorToken });
      },
      async verify(body) {
        return startSession(await post<AuthSession>('/auth/second-factor/verify', body, await guestHeaders()));
      },
      list: () => asMe('/second-factors'),
    },
    totp: {
      enroll: () => asMe('/second-factors/totp', 'POST'),
      confirm: (totpCode) => asMe('/second-factors/totp/confirm', 'POST', { totpCode }),
      remove: (proof) => asMe('/second-factors/totp', 'DELETE', proof),
    },
    recoveryCodes: {
      async regenerate(proof) {
        return (await asMe<RecoveryCodes>('/second-factors/recovery-codes', 'POST', proof)).recoveryCodes;
      },
    },
    refresh() {
      // The tokens this tab has at the moment of the call, taken before any await: a tab that calls
      // while another tab's refresh is under way then joins it instead of rotating again.
      const known = lastKnown;
      return (async () => (await refreshFrom(known ?? (await read())?.refreshToken)).session)();
    },
    async logout() {
      const token = await getAccessToken();
      try {
        if (token) await post('/auth/logout', undefined, { authorization: `Bearer ${token}` });
      } catch (error) {
        // Already ended on the server (revoked elsewhere): this tab signs out all the same.
        if (!(error instanceof LatchkeyError && error.status === 401)) throw error;
      } finally {
        await save(null);
      }
    },
    getAccessToken,
    async getSession() {
      return (await read())?.session ?? null;
    },
    me: () => asMe<ConsumerProfile>(''),
    onSessionChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    fetch: authorizedFetch,
    close() {
      channel?.close();
    },
  };
}
