import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLatchkey, createOAuthClient, memoryStore, PasskeyInvalid, TotpInvalid, WebauthnUnavailable, type Latchkey } from '../src/sdk/client/index.js';
import { base64url } from '../src/sdk/client/pkce.js';
import { credentialToJSON, fromBase64url } from '../src/sdk/client/webauthn.js';

// latchkey/client's passkey and second-factor calls without a browser: the requests it makes, the
// answers it maps, and its own WebAuthn JSON conversion (WebAuthn L3 §5.1.8). The ceremonies in a
// real browser: test/browser/sdk-passkeys.test.ts.

const BASE = 'https://auth.example.test';
const bytes = (...values: number[]) => new Uint8Array(values);

type Sent = { method: string; path: string; headers: Headers; body: any };
type Answer = { status?: number; body?: unknown };

/** A client whose fetch records each request and answers from `answers` in order. */
function client(answers: Answer[]): { latchkey: Latchkey; sent: Sent[] } {
  const sent: Sent[] = [];
  const latchkey = createLatchkey({
    baseUrl: `${BASE}/`, publishableKey: 'pk_test_x', store: memoryStore(),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const text = await request.text();
      sent.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers, body: text ? JSON.parse(text) : undefined });
      const answer = answers.shift() ?? { status: 500, body: { error: 'internal_error' } };
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { 'content-type': 'application/json' } });
    },
  });
  clients.push(latchkey);
  return { latchkey, sent };
}
const clients: Latchkey[] = [];

const session = (type: 'guest' | 'authenticated', accessToken = `at-${type}`) => ({
  accessToken, refreshToken: `rt-${type}`, refreshTokenTtlSeconds: 3600, beaconToken: 'bt',
  session: { type, consumerId: `con_${type}`, expiresAt: new Date(Date.now() + 3600_000).toISOString() },
});

/** An assertion as a browser without `toJSON()` returns it. */
function fakeAssertion(): PublicKeyCredential {
  return {
    id: 'AQID', rawId: bytes(1, 2, 3).buffer, type: 'public-key', authenticatorAttachment: 'platform',
    response: { clientDataJSON: bytes(123, 125).buffer, authenticatorData: bytes(9, 9).buffer, signature: bytes(255, 254, 253).buffer, userHandle: bytes(117).buffer },
    getClientExtensionResults: () => ({}),
  } as unknown as PublicKeyCredential;
}

/** `PublicKeyCredential` and `navigator.credentials` of an old browser (no JSON helpers); `get` returns `fakeAssertion()`. */
function stubWebAuthn(options: { conditional?: boolean } = {}) {
  const get = vi.fn(async (_options: CredentialRequestOptions) => fakeAssertion());
  const create = vi.fn();
  vi.stubGlobal('PublicKeyCredential', { isConditionalMediationAvailable: async () => options.conditional ?? true });
  vi.stubGlobal('navigator', { credentials: { get, create } });
  return { get, create };
}

const requestOptions = { options: { challenge: base64url(bytes(1, 2, 3, 250)), rpId: 'example.test', allowCredentials: [], userVerification: 'preferred' }, expiresAt: '2030-01-01T00:00:00.000Z' };

afterEach(() => {
  for (const latchkey of clients.splice(0)) latchkey.close();
  vi.unstubAllGlobals();
});

describe('latchkey/client WebAuthn JSON (WebAuthn L3 §5.1.8)', () => {
  it('base64url without padding, both ways, for every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = base64url(all);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text).toBe(Buffer.from(all).toString('base64url'));
    expect(fromBase64url(text)).toEqual(all);
    expect(fromBase64url('AQID')).toEqual(bytes(1, 2, 3));
    expect(fromBase64url('AQ')).toEqual(bytes(1));
  });

  it('an assertion and an attestation are encoded by hand when the browser has no toJSON()', () => {
    expect(credentialToJSON(fakeAssertion())).toEqual({
      id: 'AQID', rawId: 'AQID', type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: 'e30', authenticatorData: 'CQk', signature: '__79', userHandle: 'dQ' },
    });
    const attestation = {
      id: 'AQ', rawId: bytes(1).buffer, type: 'public-key', authenticatorAttachment: null,
      response: { clientDataJSON: bytes(123, 125).buffer, attestationObject: bytes(161).buffer, getTransports: () => ['usb'] },
      getClientExtensionResults: () => ({ credProps: { rk: true } }),
    } as unknown as PublicKeyCredential;
    expect(credentialToJSON(attestation)).toEqual({
      id: 'AQ', rawId: 'AQ', type: 'public-key', clientExtensionResults: { credProps: { rk: true } },
      response: { clientDataJSON: 'e30', attestationObject: 'oQ', transports: ['usb'] },
    });
  });

  it('toJSON() is used where it exists; a null authenticatorAttachment is left out (the API takes none or a value)', () => {
    const credential = { toJSON: () => ({ id: 'x', authenticatorAttachment: null, response: {} }) } as unknown as PublicKeyCredential;
    expect(credentialToJSON(credential)).toEqual({ id: 'x', response: {} });
  });
});

describe('latchkey/client passkey and second-factor calls (SPEC §12)', () => {
  it('passkey.signIn: options with the publishable key → navigator.credentials.get with decoded options → verify → a session', async () => {
    const { get } = stubWebAuthn();
    const { latchkey, sent } = client([{ body: requestOptions }, { body: session('authenticated') }]);
    const result = await latchkey.passkey.signIn({ mediation: 'conditional' });
    expect(result).toMatchObject({ status: 'signed_in', session: { type: 'authenticated', consumerId: 'con_authenticated' } });
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /auth/passkey/options', 'POST /auth/passkey/verify']);
    expect(sent[0]!.headers.get('x-publishable-key')).toBe('pk_test_x');
    expect(sent[1]!.headers.get('authorization')).toBeNull();
    const asked = get.mock.calls[0]![0];
    expect(asked.mediation).toBe('conditional');
    expect(asked.publicKey!.challenge).toEqual(bytes(1, 2, 3, 250));
    expect(asked.publicKey!.rpId).toBe('example.test');
    expect(sent[1]!.body).toEqual({ credential: credentialToJSON(fakeAssertion()) });
    expect(await latchkey.getAccessToken()).toBe('at-authenticated');
  });

  it('passkey.signIn: a conditional request that waits is renewed before its challenge dies; the caller\'s abort ends it', async () => {
    const { get } = stubWebAuthn();
    /** The autofill waits for the person: it settles only when its signal aborts. */
    const waiting = (options: CredentialRequestOptions) =>
      new Promise<PublicKeyCredential>((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason)));
    get.mockImplementationOnce(waiting);
    // 15 s before a 5-minute challenge dies; half-way for one as short as this (60 ms).
    const shortLived = { ...requestOptions, options: { ...requestOptions.options, timeout: 60 } };
    const { latchkey, sent } = client([{ body: shortLived }, { body: requestOptions }, { body: session('authenticated') }]);
    expect(await latchkey.passkey.signIn({ mediation: 'conditional' })).toMatchObject({ status: 'signed_in' });
    expect(sent.map((r) => r.path)).toEqual(['/auth/passkey/options', '/auth/passkey/options', '/auth/passkey/verify']);
    expect(get).toHaveBeenCalledTimes(2);

    get.mockImplementationOnce(waiting);
    const second = client([{ body: requestOptions }]);
    const controller = new AbortController();
    const pending = second.latchkey.passkey.signIn({ mediation: 'conditional', signal: controller.signal });
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(3));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(second.sent).toHaveLength(1);
  });

  it('passkey.signIn: a guest session\'s access token goes along (linking); the pending answer of SPEC §12 keeps the guest', async () => {
    stubWebAuthn();
    const pending = { secondFactorRequired: true, secondFactor: 'totp', secondFactors: ['totp'], secondFactorToken: 'sft', expiresAt: '2030-01-01T00:00:00.000Z' };
    const { latchkey, sent } = client([{ body: session('guest') }, { body: requestOptions }, { body: pending }]);
    await latchkey.guest();
    expect(await latchkey.passkey.signIn()).toEqual({ status: 'second_factor_required', ...pending });
    expect(sent[2]!.headers.get('authorization')).toBe('Bearer at-guest');
    expect((await latchkey.getSession())?.type).toBe('guest');
  });

  it('passkey.signIn: server codes become their typed errors; without WebAuthn or conditional UI, WebauthnUnavailable before any request', async () => {
    stubWebAuthn();
    const refused = client([{ body: requestOptions }, { status: 401, body: { error: 'passkey_invalid', message: 'unknown passkey' } }]);
    const error = await refused.latchkey.passkey.signIn().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PasskeyInvalid);
    expect(error).toMatchObject({ code: 'passkey_invalid', status: 401, name: 'PasskeyInvalid' });

    stubWebAuthn({ conditional: false });
    const noAutofill = client([]);
    expect(await noAutofill.latchkey.passkey.isAvailable()).toBe(true);
    expect(await noAutofill.latchkey.passkey.isAvailable('conditional')).toBe(false);
    await expect(noAutofill.latchkey.passkey.signIn({ mediation: 'conditional' })).rejects.toThrow(/conditional mediation/);
    expect(noAutofill.sent).toEqual([]);

    vi.unstubAllGlobals();
    const none = client([]);
    expect(await none.latchkey.passkey.isAvailable()).toBe(false);
    const unavailable = await none.latchkey.passkey.signIn().catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(WebauthnUnavailable);
    expect(unavailable).toMatchObject({ code: 'webauthn_unavailable', name: 'WebauthnUnavailable', status: 0 });
    await expect(none.latchkey.passkey.register()).rejects.toBeInstanceOf(WebauthnUnavailable);
    expect(none.sent).toEqual([]);
  });

  it('API mode: oauth.passkeyLogin sends the client key and a second factor along with the assertion (SPEC §6.2)', async () => {
    stubWebAuthn();
    const sent: Sent[] = [];
    const answers = [{ body: requestOptions }, { body: { accessToken: 'lt', userId: 'con_1', isOtpRequired: false } }];
    const oauth = createOAuthClient({
      baseUrl: BASE, clientId: 'pk_test_x', redirectUri: 'https://app.example.test/callback',
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const text = await request.text();
        sent.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers, body: text ? JSON.parse(text) : undefined });
        return Response.json(answers.shift()!.body);
      },
    });
    expect(await oauth.passkeyLogin({ totpCode: '123456' })).toEqual({ accessToken: 'lt', userId: 'con_1', isOtpRequired: false });
    expect(sent.map((r) => [r.method, r.path, r.headers.get('x-client-key')])).toEqual([
      ['POST', '/v1/auth/passkey/options', 'pk_test_x'], ['POST', '/v1/auth/passkey/verify', 'pk_test_x'],
    ]);
    expect(sent[1]!.body).toEqual({ credential: credentialToJSON(fakeAssertion()), totpCode: '123456' });
  });

  it('secondFactor.verify takes code, totpCode or recoveryCode; the account calls go to /consumers/me with the bearer token', async () => {
    const { latchkey, sent } = client([
      { status: 401, body: { error: 'totp_invalid', message: 'wrong code' } },
      { body: session('authenticated') },
      { body: { secondFactors: [], isTotpEnrollmentPending: false } },
      { body: { secret: 'S', otpauthUri: 'otpauth://totp/x', qrCodeSvg: '<svg/>' } },
      { body: { recoveryCodes: ['a'], enabledAt: '2030-01-01T00:00:00.000Z' } },
      { body: { recoveryCodes: ['b'] } },
      { status: 204 },
      { body: { passkeys: [{ id: 'pkey_1' }] } },
      { body: { id: 'pkey_1', name: 'Phone' } },
      { status: 204 },
    ]);
    await expect(latchkey.secondFactor.verify({ secondFactorToken: 't', totpCode: '000000' })).rejects.toBeInstanceOf(TotpInvalid);
    await latchkey.secondFactor.verify({ secondFactorToken: 't', recoveryCode: 'abcde-fghij' });
    expect(sent.map((r) => r.body)).toEqual([{ secondFactorToken: 't', totpCode: '000000' }, { secondFactorToken: 't', recoveryCode: 'abcde-fghij' }]);

    expect(await latchkey.secondFactor.list()).toEqual({ secondFactors: [], isTotpEnrollmentPending: false });
    expect((await latchkey.totp.enroll()).secret).toBe('S');
    expect((await latchkey.totp.confirm('123456')).recoveryCodes).toEqual(['a']);
    expect(await latchkey.recoveryCodes.regenerate({ totpCode: '654321' })).toEqual(['b']);
    expect(await latchkey.totp.remove()).toBeUndefined();
    expect(await latchkey.passkey.list()).toEqual([{ id: 'pkey_1' }]);
    expect(await latchkey.passkey.rename('pkey_1', 'Phone')).toEqual({ id: 'pkey_1', name: 'Phone' });
    expect(await latchkey.passkey.remove('pkey_1')).toBeUndefined();
    expect(sent.slice(2).map((r) => [r.method, r.path, r.body, r.headers.get('authorization')])).toEqual([
      ['GET', '/consumers/me/second-factors', undefined, 'Bearer at-authenticated'],
      ['POST', '/consumers/me/second-factors/totp', undefined, 'Bearer at-authenticated'],
      ['POST', '/consumers/me/second-factors/totp/confirm', { totpCode: '123456' }, 'Bearer at-authenticated'],
      ['POST', '/consumers/me/second-factors/recovery-codes', { totpCode: '654321' }, 'Bearer at-authenticated'],
      ['DELETE', '/consumers/me/second-factors/totp', undefined, 'Bearer at-authenticated'],
      ['GET', '/consumers/me/passkeys', undefined, 'Bearer at-authenticated'],
      ['PATCH', '/consumers/me/passkeys/pkey_1', { name: 'Phone' }, 'Bearer at-authenticated'],
      ['DELETE', '/consumers/me/passkeys/pkey_1', undefined, 'Bearer at-authenticated'],
    ]);
  });
});
