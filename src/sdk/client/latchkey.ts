import { AuthenticationRequired, InvalidRefreshToken, LatchkeyError } from '../shared/errors.js';
import { callApi, readResponse, trimBaseUrl, type FetchLike } from '../shared/http.js';
import type { AuthSession, ConsumerProfile, OtpRequest, OtpVerify, RefreshedTokens, SecondFactorRequired } from '../shared/wire.js';
import { parseStored, storedFromAuthSession, storedFromRefresh, type LatchkeySession, type StoredSession } from './session.js';
import { defaultStore, type TokenStore } from './storage.js';
import { openChannel, withTabLock } from './tabs.js';

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

/** The outcome of `otp.verify`: signed in, or (SPEC §12) the account's second factor is due. */
export type OtpVerifyResult = { status: 'signed_in'; session: LatchkeySession } | ({ status: 'second_factor_required' } & SecondFactorRequired);

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
    verify(body: OtpVerify): Promise<OtpVerifyResult>;
  };
  secondFactor: {
    /** SPEC §12: sends the SMS code of a pending sign-in. */
    request(secondFactorToken: string): Promise<void>;
    /** SPEC §12: completes a pending sign-in. */
    verify(body: { secondFactorToken: string; code: string }): Promise<LatchkeySession>;
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
        const answer = await post<AuthSession | SecondFactorRequired>('/auth/otp/verify', body, await guestHeaders());
        if ('secondFactorRequired' in answer) return { status: 'second_factor_required', ...answer };
        return { status: 'signed_in', session: await startSession(answer) };
      },
    },
    secondFactor: {
      async request(secondFactorToken) {
        await post('/auth/second-factor/request', { secondFactorToken });
      },
      async verify(body) {
        return startSession(await post<AuthSession>('/auth/second-factor/verify', body, await guestHeaders()));
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
    async me() {
      return readResponse<ConsumerProfile>(await authorizedFetch(`${baseUrl}/consumers/me`, { headers: { accept: 'application/json' } }));
    },
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
