import { createDecipheriv, hkdfSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchTotpStep, normalizeRecoveryCode, totpKeyUri } from '../src/crypto/totp.js';
import { createOrganization } from '../src/flows/bootstrap.js';
import { setOrganizationBranding } from '../src/flows/branding.js';
import { adminRequest, createAdminToken } from './helpers/admin.js';
import { dumpDatabase } from './helpers/database-dump.js';
import { describeEachEngine } from './helpers/engines.js';
import { createPasswordUser, login, loginToken } from './helpers/oauth.js';
import { signInByEmail } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { base32Decode, hotp, totp } from './helpers/totp.js';
import { eventually } from './helpers/eventually.js';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890" (base32 below);
// 8-digit codes at these Unix times. Our codes are 6 digits: the same value modulo 10^6.
const RFC_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
];

describe('RFC 6238 (TOTP) arithmetic', () => {
  it('RFC 6238 Appendix B: the independent test implementation reproduces the SHA-1 test vectors', () => {
    expect(base32Decode(RFC_SEED_BASE32).toString('latin1')).toBe('12345678901234567890');
    for (const [seconds, code] of RFC_VECTORS) expect(totp(RFC_SEED_BASE32, seconds * 1000, 0, 8), String(seconds)).toBe(code);
    // RFC 4226 Appendix D, HOTP over the same seed, counters 0 and 9.
    expect(hotp(Buffer.from('12345678901234567890'), 0)).toBe('755224');
    expect(hotp(Buffer.from('12345678901234567890'), 9)).toBe('520489');
  });

  it('RFC 6238 Appendix B / §4.2: the verifier accepts each vector (6 digits) at its time step T = floor(t / 30)', () => {
    for (const [seconds, code] of RFC_VECTORS) expect(matchTotpStep(RFC_SEED_BASE32, code.slice(-6), seconds * 1000), String(seconds)).toBe(Math.floor(seconds / 30));
  });

  it('RFC 6238 §5.2: one step either side is accepted (and reported as its own step), two are not', () => {
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotpStep(RFC_SEED_BASE32, totp(RFC_SEED_BASE32, now, -1), now)).toBe(step - 1);
    expect(matchTotpStep(RFC_SEED_BASE32, totp(RFC_SEED_BASE32, now, 1), now)).toBe(step + 1);
    expect(matchTotpStep(RFC_SEED_BASE32, totp(RFC_SEED_BASE32, now, 2), now)).toBeNull();
    expect(matchTotpStep(RFC_SEED_BASE32, totp(RFC_SEED_BASE32, now, -2), now)).toBeNull();
    expect(matchTotpStep(RFC_SEED_BASE32, 'abcdef', now)).toBeNull();
  });

  it('the key URI names issuer and account and the RFC 6238 parameters (Key URI Format)', () => {
    const uri = new URL(totpKeyUri(RFC_SEED_BASE32, 'Acme Shop', 'ada@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Acme Shop:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'Acme Shop', secret: RFC_SEED_BASE32, algorithm: 'SHA1', digits: '6', period: '30' });
  });

  it('recovery codes are read forgivingly: case, spaces, dashes, and i/l/o as 1/1/0', () => {
    expect(normalizeRecoveryCode('ABCDE-FGH1K')).toBe('abcdefgh1k');
    expect(normalizeRecoveryCode(' abcde fghlk ')).toBe('abcdefgh1k');
    expect(normalizeRecoveryCode('oOooo-00000')).toBe('0000000000');
    expect(normalizeRecoveryCode('abcde-fghu1')).toBeUndefined();
    expect(normalizeRecoveryCode('abcd')).toBeUndefined();
  });
});

describeEachEngine('TOTP enrollment and recovery codes (SPEC §12)', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  const defaultOrganizationId = async () => (await server.server.runtime.store.findOrganizationByName('default'))!.id;
  const call = (method: string, path: string, token: string, body?: object) =>
    server.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  /** The code of the current step — after moving the clock to a step no earlier code used. */
  const freshCode = (secret: string) => {
    server.clock.advance(30);
    return totp(secret, server.clock.now());
  };

  /** A password user signed in through the consumer API (email code), with no second factor yet. */
  async function signedInUser() {
    const user = await createPasswordUser(server);
    const session = await signInByEmail(server, user.email);
    return { user, accessToken: session.accessToken as string };
  }

  /** Start and confirm TOTP through `base` (consumer API or API mode) with `token`. */
  async function enroll(token: string, base = '/consumers/me/second-factors') {
    const started = await call('POST', `${base}/totp`, token);
    expect(started.status).toBe(200);
    const enrollment = await started.json();
    const confirmed = await call('POST', `${base}/totp/confirm`, token, { totpCode: totp(enrollment.secret, server.clock.now()) });
    expect(confirmed.status).toBe(200);
    return { secret: enrollment.secret as string, recoveryCodes: (await confirmed.json()).recoveryCodes as string[] };
  }

  it('review of issue 18: a first authenticator app needs a recent sign-in — a token whose sign-in is over 10 minutes old gets 403 step_up_required (both APIs)', async () => {
    const { user, accessToken } = await signedInUser();
    const apiModeToken = await loginToken(server, server.demo, user.email, user.password);
    server.clock.advance(10 * 60 + 1);
    for (const [path, token] of [['/consumers/me/second-factors/totp', accessToken], ['/v1/user/second-factors/totp', apiModeToken]] as const) {
      const refused = await call('POST', path, token);
      expect(refused.status, path).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'step_up_required' });
    }
    expect((await (await call('GET', '/consumers/me/second-factors', accessToken)).json())).not.toMatchObject({ totp: expect.anything() });
    // A fresh sign-in may.
    const fresh = await signInByEmail(server, user.email);
    expect((await call('POST', '/consumers/me/second-factors/totp', fresh.accessToken as string)).status).toBe(200);
  });

  it('review of issue 18: the person is told by email when an authenticator app is turned on, its recovery codes replaced, or it is removed', async () => {
    const { user, accessToken } = await signedInUser();
    const { secret } = await enroll(accessToken);
    expect((await call('POST', '/consumers/me/second-factors/recovery-codes', accessToken, { totpCode: freshCode(secret) })).status).toBe(200);
    expect((await call('DELETE', '/consumers/me/second-factors/totp', accessToken, { totpCode: freshCode(secret) })).status).toBe(204);
    const expected = ['An authenticator app now protects your account', 'New recovery codes for your account', 'The authenticator app was removed from your account'];
    const notices = await eventually(async () => {
      const subjects = (await server.server.runtime.store.listDevMessages({ recipient: user.email })).map((m) => m.subject).filter((s) => expected.includes(s));
      return subjects.length === 3 ? subjects : undefined;
    });
    expect(notices.sort()).toEqual([...expected].sort());
  });

  it('SPEC §12: enrollment shows the secret, its otpauth:// URI and a server-rendered SVG QR code — once, not cached', async () => {
    const { user, accessToken } = await signedInUser();
    const response = await call('POST', '/consumers/me/second-factors/totp', accessToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(['otpauthUri', 'qrCodeSvg', 'secret']);
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    // RFC 4226 §4 R6: a 160-bit shared secret.
    expect(base32Decode(body.secret)).toHaveLength(20);
    // Issuer: the organization's display name, else Latchkey; label: the person's email.
    expect(body.otpauthUri).toBe(`otpauth://totp/Latchkey:${encodeURIComponent(user.email)}?issuer=Latchkey&secret=${body.secret}&algorithm=SHA1&digits=6&period=30`);
    expect(body.qrCodeSvg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>\s*$/s);
    // Pending: not a second factor yet.
    const list = await call('GET', '/consumers/me/second-factors', accessToken);
    expect(await list.json()).toEqual({ secondFactors: [], isTotpEnrollmentPending: true });
    expect((await (await login(server, server.demo, user.email, user.password)).json()).isOtpRequired).toBe(false);
  });

  it('SPEC §12: the key URI\'s issuer is the organization\'s display name; its label the person\'s email', async () => {
    const { deps } = server.server.runtime;
    const organization = await createOrganization(deps, `acme-${Date.now()}`);
    await setOrganizationBranding(deps, organization.id, { displayName: 'Acme & Co', logoUrl: null, accentColor: null });
    const app = await server.createApp({ organizationId: organization.id });
    const user = await createPasswordUser(server, { organizationId: organization.id });
    const token = await loginToken(server, app, user.email, user.password);
    const { otpauthUri, secret } = await (await call('POST', '/v1/user/second-factors/totp', token)).json();
    expect(otpauthUri).toBe(`otpauth://totp/Acme%20%26%20Co:${encodeURIComponent(user.email)}?issuer=Acme%20%26%20Co&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
  });

  it('SPEC §12: a first code confirms it; ten distinct recovery codes come back once; a second enrollment is refused (409)', async () => {
    const { accessToken } = await signedInUser();
    const { secret } = await (await call('POST', '/consumers/me/second-factors/totp', accessToken)).json();
    const wrong = await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, { totpCode: totp(secret, server.clock.now(), 5) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'totp_invalid', message: 'wrong authenticator code' });
    const confirmed = await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, { totpCode: totp(secret, server.clock.now()) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get('cache-control')).toBe('no-store');
    const body = await confirmed.json();
    expect(body.enabledAt).toBe(new Date(server.clock.now()).toISOString());
    expect(body.recoveryCodes).toHaveLength(10);
    expect(new Set(body.recoveryCodes).size).toBe(10);
    for (const code of body.recoveryCodes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    const list = await (await call('GET', '/consumers/me/second-factors', accessToken)).json();
    expect(list).toEqual({ secondFactors: [{ type: 'totp', enabledAt: body.enabledAt, recoveryCodesRemaining: 10 }], isTotpEnrollmentPending: false });
    const again = await call('POST', '/consumers/me/second-factors/totp', accessToken);
    expect(again.status).toBe(409);
    expect((await again.json()).error).toBe('conflict');
    // Confirming twice is refused too (nothing pending).
    expect((await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, { totpCode: freshCode(secret) })).status).toBe(409);
  });

  it('SPEC §12: restarting a pending enrollment replaces its secret: a code of the old one no longer confirms', async () => {
    const { accessToken } = await signedInUser();
    const first = (await (await call('POST', '/consumers/me/second-factors/totp', accessToken)).json()).secret;
    const second = (await (await call('POST', '/consumers/me/second-factors/totp', accessToken)).json()).secret;
    expect(second).not.toBe(first);
    expect((await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, { totpCode: totp(first, server.clock.now()) })).status).toBe(401);
    expect((await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, { totpCode: totp(second, server.clock.now()) })).status).toBe(200);
  });

  it('SPEC §12: a guest has no second factor to set (403); no token → 401; input is validated (400)', async () => {
    const guest = await (await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': server.demo.publishableKey } })).json();
    const refused = await call('POST', '/consumers/me/second-factors/totp', guest.accessToken);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toBe('forbidden');
    expect((await server.request('/consumers/me/second-factors/totp', { method: 'POST' })).status).toBe(401);
    const { accessToken } = await signedInUser();
    for (const body of [{}, { totpCode: '12345' }, { totpCode: 123456 }]) {
      const response = await call('POST', '/consumers/me/second-factors/totp/confirm', accessToken, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).error).toBe('validation_error');
    }
    // SPEC §3: a refused code is never quoted back in the issues.
    for (const [path, body] of [
      ['/consumers/me/second-factors/totp/confirm', { totpCode: '98765x' }],
      ['/consumers/me/second-factors/recovery-codes', { recoveryCode: 'secret%code!' }],
    ] as const) {
      const response = await call('POST', path, accessToken, body);
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).not.toContain('98765x');
      expect(text).not.toContain('secret%code!');
    }
  });

  it('SPEC §12 in API mode: the login token of /v1/auth/login enrolls under /v1/user/second-factors (an OAuth-less credential of the person)', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { secret, recoveryCodes } = await enroll(token, '/v1/user/second-factors');
    expect(recoveryCodes).toHaveLength(10);
    const answer = await (await login(server, server.demo, user.email, user.password)).json();
    expect(answer).toEqual({ accessToken: null, userId: user.id, isOtpRequired: true, phoneNumber: null, secondFactors: ['totp'] });
    // A consumer access token is not a login token there, nor a login token a consumer token here.
    const { accessToken } = await signedInUser();
    expect((await call('GET', '/v1/user/second-factors', accessToken)).status).toBe(401);
    expect((await call('GET', '/consumers/me/second-factors', token)).status).toBe(401);
    expect((await call('GET', '/v1/user/second-factors', token)).status).toBe(200);
    expect(secret).toMatch(/^[A-Z2-7]+$/);
  });

  it('SPEC §4 at rest: the TOTP secret is stored only sealed (AES-256-GCM, key from LATCHKEY_SECRET, bound to the person), recovery codes only as keyed hashes', async () => {
    const { user, accessToken } = await signedInUser();
    const { secret, recoveryCodes } = await enroll(accessToken);
    const dump = await dumpDatabase(server.server.runtime.config.databaseUrl);
    for (const spelling of [secret, secret.toLowerCase(), base32Decode(secret).toString('hex'), base32Decode(secret).toString('base64'), base32Decode(secret).toString('base64url')]) {
      expect(dump.includes(spelling), 'TOTP secret in clear').toBe(false);
    }
    for (const code of recoveryCodes) {
      expect(dump.includes(code), 'recovery code in clear').toBe(false);
      expect(dump.includes(code.replace('-', '')), 'recovery code in clear').toBe(false);
    }
    // An independent opener, from the documented scheme: HKDF-SHA256(LATCHKEY_SECRET, salt `latchkey`,
    // info `totp-secret/v1`), AES-256-GCM, associated data = the consumer id.
    const [row] = JSON.parse(dump).totp_factors.filter((r: { consumer_id: string }) => r.consumer_id === user.id);
    const key = Buffer.from(hkdfSync('sha256', 'test-secret-test-secret-test-secret-0123', 'latchkey', 'totp-secret/v1', 32));
    const open = (associated: string) => {
      const [, iv, tag, ciphertext] = (row.secret_sealed as string).split('.').map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', key, iv!);
      decipher.setAAD(Buffer.from(associated));
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString('utf8');
    };
    expect(open(user.id)).toBe(secret);
    // Copied onto another person's row, it does not open.
    expect(() => open('con_someone_else')).toThrow();
    // No secret in a log line either.
    expect(server.logLines.join('').includes(secret)).toBe(false);
    for (const code of recoveryCodes) expect(server.logLines.join('').includes(code)).toBe(false);
  });

  it('SPEC §12: recovery codes work once each; regenerating (with a current code) replaces every old one', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { secret, recoveryCodes } = await enroll(token, '/v1/user/second-factors');
    const withRecovery = (recoveryCode: string) => server.request('/v1/auth/login', { json: { email: user.email, password: user.password, recoveryCode }, headers: { 'x-client-key': server.demo.publishableKey } });
    const first = await withRecovery(recoveryCodes[0]!);
    expect(first.status).toBe(200);
    expect((await first.json()).accessToken).toMatch(/^ey/);
    // Typed loosely (upper case, no dash) it is still the same code — and used.
    const again = await withRecovery(recoveryCodes[0]!.toUpperCase().replace('-', ''));
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'recovery_code_invalid', message: 'this recovery code is not valid or was already used' });
    expect((await withRecovery(recoveryCodes[1]!.toUpperCase())).status).toBe(200);
    const list = await (await call('GET', '/v1/user/second-factors', token)).json();
    expect(list.secondFactors[0].recoveryCodesRemaining).toBe(8);

    expect((await call('POST', '/v1/user/second-factors/recovery-codes', token, {})).status).toBe(400);
    const regenerated = await call('POST', '/v1/user/second-factors/recovery-codes', token, { totpCode: freshCode(secret) });
    expect(regenerated.status).toBe(200);
    expect(regenerated.headers.get('cache-control')).toBe('no-store');
    const fresh = (await regenerated.json()).recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect((await withRecovery(recoveryCodes[2]!)).status).toBe(401);
    expect((await withRecovery(fresh[0]!)).status).toBe(200);
    const events = await server.server.runtime.store.listAuditEvents(await defaultOrganizationId());
    const mine = (type: string) => events.filter((e) => e.type === type && e.data.consumerId === user.id);
    expect(mine('recovery_code.used')).toHaveLength(3);
    expect(mine('recovery_code.failed')).toHaveLength(2);
    expect(mine('recovery_codes.regenerated')).toHaveLength(1);
  });

  it('RFC 6238 §5.2: a code of a time step already used is refused — also a code of an earlier step', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { secret } = await enroll(token, '/v1/user/second-factors');
    const withCode = (totpCode: string) => server.request('/v1/auth/login', { json: { email: user.email, password: user.password, totpCode }, headers: { 'x-client-key': server.demo.publishableKey } });
    // The confirming code's step is already used.
    const confirmingStep = await withCode(totp(secret, server.clock.now()));
    expect(confirmingStep.status).toBe(401);
    expect(await confirmingStep.json()).toEqual({ error: 'totp_invalid', message: 'this authenticator code was already used; wait for the next one' });
    // The next step's code (inside the ±1 window) is fresh; used once, it is refused, and so is the one before it.
    expect((await withCode(totp(secret, server.clock.now(), 1))).status).toBe(200);
    expect((await withCode(totp(secret, server.clock.now(), 1))).status).toBe(401);
    server.clock.advance(30);
    expect((await withCode(totp(secret, server.clock.now(), -1))).status).toBe(401);
    server.clock.advance(30);
    expect((await withCode(totp(secret, server.clock.now()))).status).toBe(200);
  });

  it('SPEC §12: concurrent sign-ins with one code → exactly one login token', async () => {
    const user = await createPasswordUser(server);
    const { secret } = await enroll(await loginToken(server, server.demo, user.email, user.password), '/v1/user/second-factors');
    const code = freshCode(secret);
    const responses = await Promise.all(Array.from({ length: 4 }, () =>
      server.request('/v1/auth/login', { json: { email: user.email, password: user.password, totpCode: code }, headers: { 'x-client-key': server.demo.publishableKey } })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
  });

  it('SPEC §12: wrong authenticator codes are rate limited per person (429 after five), whatever the path; the right code does not pass the gate — a recovery code still does', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { secret, recoveryCodes } = await enroll(token, '/v1/user/second-factors');
    const wrong = () => totp(secret, server.clock.now(), 7);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await server.request('/v1/auth/login', { json: { email: user.email, password: user.password, totpCode: wrong() }, headers: { 'x-client-key': server.demo.publishableKey } })).status);
    }
    statuses.push((await call('POST', '/v1/user/second-factors/recovery-codes', token, { totpCode: wrong() })).status);
    statuses.push((await call('DELETE', '/v1/user/second-factors/totp', token, { totpCode: wrong() })).status);
    const locked = await server.request('/v1/auth/login', { json: { email: user.email, password: user.password, totpCode: freshCode(secret) }, headers: { 'x-client-key': server.demo.publishableKey } });
    statuses.push(locked.status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const body = await locked.json();
    expect(body).toEqual({ error: 'rate_limit_exceeded', message: 'too many second-factor codes tried for this account; try again later', retryAfter: expect.any(Number) });
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
    const failures = (await server.server.runtime.store.listAuditEvents(await defaultOrganizationId(), 'totp.failed')).filter((e) => e.data.consumerId === user.id);
    expect(failures.map((e) => `${e.data.purpose}:${e.data.reason}`).sort()).toEqual([
      'regenerate_recovery_codes:wrong_code', 'remove:wrong_code', 'sign_in:wrong_code', 'sign_in:wrong_code', 'sign_in:wrong_code',
    ]);
    // Review of issue 18: recovery codes are not charged to the spent budget (someone holding the
    // password must not keep the owner out); a wrong one is refused as wrong, a right one signs in.
    const wrongRecovery = await server.request('/v1/auth/login', { json: { email: user.email, password: user.password, recoveryCode: 'aaaaa-bbbbb' }, headers: { 'x-client-key': server.demo.publishableKey } });
    expect(wrongRecovery.status).toBe(401);
    const recovered = await server.request('/v1/auth/login', { json: { email: user.email, password: user.password, recoveryCode: recoveryCodes[0] }, headers: { 'x-client-key': server.demo.publishableKey } });
    expect(recovered.status).toBe(200);
  });

  it('SPEC §12: removal takes a current code or a recovery code; afterwards the password alone signs in; a pending enrollment is cancelled without one', async () => {
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { secret, recoveryCodes } = await enroll(token, '/v1/user/second-factors');
    const bare = await call('DELETE', '/v1/user/second-factors/totp', token);
    expect(bare.status).toBe(400);
    expect((await bare.json()).error).toBe('bad_request');
    expect((await call('DELETE', '/v1/user/second-factors/totp', token, { totpCode: '000000', recoveryCode: recoveryCodes[0] })).status).toBe(400);
    expect((await call('DELETE', '/v1/user/second-factors/totp', token, { recoveryCode: recoveryCodes[0] })).status).toBe(204);
    expect(await (await call('GET', '/v1/user/second-factors', token)).json()).toEqual({ secondFactors: [], isTotpEnrollmentPending: false });
    expect((await (await login(server, server.demo, user.email, user.password)).json()).isOtpRequired).toBe(false);
    expect((await call('DELETE', '/v1/user/second-factors/totp', token, { totpCode: freshCode(secret) })).status).toBe(404);
    // Pending: cancelled with no body.
    await call('POST', '/v1/user/second-factors/totp', token);
    expect((await call('DELETE', '/v1/user/second-factors/totp', token)).status).toBe(204);
    expect((await (await call('GET', '/v1/user/second-factors', token)).json()).isTotpEnrollmentPending).toBe(false);
    const events = await server.server.runtime.store.listAuditEvents(await defaultOrganizationId());
    const mine = events.filter((e) => e.data.consumerId === user.id).map((e) => e.type);
    expect(mine).toEqual(expect.arrayContaining(['totp.enrollment_started', 'totp.enabled', 'recovery_code.used', 'totp.removed']));
    expect(events.filter((e) => e.type === 'totp.removed' && e.data.consumerId === user.id).map((e) => e.data)).toEqual(expect.arrayContaining([
      { consumerId: user.id, by: 'self', wasConfirmed: true }, { consumerId: user.id, by: 'self', wasConfirmed: false },
    ]));
    // No audit event holds a secret.
    const text = JSON.stringify(events);
    expect(text.includes(secret)).toBe(false);
    for (const code of recoveryCodes) expect(text.includes(code)).toBe(false);
  });

  it('SPEC §10 / §12: the admin API lists a person\'s second factors (TOTP with recovery codes left, SMS) and removes TOTP; the event names the token', async () => {
    const admin = await createAdminToken(server, { name: 'support' });
    const readOnly = await createAdminToken(server, { name: 'viewer', readOnly: true });
    const user = await createPasswordUser(server);
    const token = await loginToken(server, server.demo, user.email, user.password);
    const { recoveryCodes, secret } = await enroll(token, '/v1/user/second-factors');
    await server.request('/v1/auth/login', { json: { email: user.email, password: user.password, recoveryCode: recoveryCodes[0] }, headers: { 'x-client-key': server.demo.publishableKey } });
    const consumer = await (await adminRequest(server, admin, 'GET', `/admin/v1/consumers/${user.id}`)).json();
    expect(consumer.secondFactors).toEqual([{ type: 'totp', enabledAt: expect.any(String) }]);
    const listed = await adminRequest(server, admin, 'GET', `/admin/v1/consumers/${user.id}/second-factors`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ secondFactors: [{ type: 'totp', enabledAt: consumer.secondFactors[0].enabledAt, recoveryCodesRemaining: 9 }], isTotpEnrollmentPending: false });
    expect(JSON.stringify(consumer).includes(secret)).toBe(false);

    expect((await adminRequest(server, readOnly, 'DELETE', `/admin/v1/consumers/${user.id}/second-factors/totp`)).status).toBe(403);
    const removed = await adminRequest(server, admin, 'DELETE', `/admin/v1/consumers/${user.id}/second-factors/totp`);
    expect(removed.status).toBe(200);
    expect((await removed.json()).secondFactors).toEqual([]);
    expect((await adminRequest(server, admin, 'DELETE', `/admin/v1/consumers/${user.id}/second-factors/totp`)).status).toBe(404);
    // The password alone signs in again; no recovery code is left.
    expect((await (await login(server, server.demo, user.email, user.password)).json()).isOtpRequired).toBe(false);
    const [event] = (await server.server.runtime.store.listAuditEvents(await defaultOrganizationId(), 'totp.removed')).filter((e) => e.data.consumerId === user.id);
    expect(event!.data).toEqual({ consumerId: user.id, by: 'operator', actor: { type: 'admin_token', id: admin.id, name: 'support' } });
  });
});
