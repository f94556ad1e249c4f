import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { me } from './helpers/flows.js';
import { latestCode, requestOtp, signInByEmail, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('POST /auth/otp/request and /auth/otp/verify', (engine) => {
  let server: TestServer;
  let counter = 0;
  const freshEmail = () => `user${++counter}@example.com`;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('SPEC §5.4: request → { ok: true }; a 6-digit code lands in the development outbox, not in the log', async () => {
    const email = freshEmail();
    const before = server.logLines.length;
    const response = await requestOtp(server, { email });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const [message] = await server.server.runtime.store.listDevMessages({ recipient: email });
    expect(message).toMatchObject({ channel: 'email', recipient: email, subject: 'Your sign-in code' });
    const code = await latestCode(server, email);
    expect(code).toMatch(/^\d{6}$/);
    const log = server.logLines.slice(before).join('');
    expect(log).toContain('development outbox');
    expect(log).not.toContain(code);
    expect(log).not.toContain(email);
  });

  it('SPEC §5.4: verify → AuthSession authenticated with the address; the code is single use', async () => {
    const email = freshEmail();
    await requestOtp(server, { email: email.toUpperCase() });
    const code = await latestCode(server, email);
    const response = await verifyOtp(server, { email, code });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.session).toEqual({ type: 'authenticated', consumerId: expect.stringMatching(/^con_/), expiresAt: expect.any(String), email });
    const profile = await (await me(server, body.accessToken)).json();
    expect(profile).toMatchObject({ type: 'authenticated', email, identities: [{ provider: 'email', issuer: 'latchkey', subject: email }] });
    const again = await verifyOtp(server, { email, code });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'otp_expired', message: expect.any(String) });
  });

  it('SPEC §5.4: the same address signs in to the same consumer next time', async () => {
    const email = freshEmail();
    const first = await signInByEmail(server, email);
    server.clock.advance(61);
    const second = await signInByEmail(server, email);
    expect(second.session.consumerId).toBe(first.session.consumerId);
  });

  it('SPEC §4: a code expires after 10 minutes (injected clock)', async () => {
    const early = freshEmail();
    await requestOtp(server, { email: early });
    server.clock.advance(599);
    expect((await verifyOtp(server, { email: early, code: await latestCode(server, early) })).status).toBe(200);
    const late = freshEmail();
    await requestOtp(server, { email: late });
    server.clock.advance(600);
    const response = await verifyOtp(server, { email: late, code: await latestCode(server, late) });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('otp_expired');
  });

  it('SPEC §4: wrong code → 401 otp_invalid; the 5th wrong try burns the code', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await verifyOtp(server, { email, code: wrong });
      expect(response.status, `attempt ${attempt}`).toBe(401);
      expect((await response.json()).error).toBe('otp_invalid');
    }
    const right = await verifyOtp(server, { email, code });
    expect(right.status).toBe(401);
    expect((await right.json()).error).toBe('otp_expired');
  });

  it('SPEC §4: four wrong tries leave the code usable', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 4; attempt++) await verifyOtp(server, { email, code: wrong });
    expect((await verifyOtp(server, { email, code })).status).toBe(200);
  });

  it('SPEC §4: a new request replaces the previous code', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const oldCode = await latestCode(server, email);
    let newCode = oldCode;
    // A new code may by chance (1 in 10^6) equal the old one, and then proves nothing: ask again.
    while (newCode === oldCode) {
      server.clock.advance(61);
      expect((await requestOtp(server, { email })).status).toBe(200);
      newCode = await latestCode(server, email);
    }
    const stale = await verifyOtp(server, { email, code: oldCode });
    expect(stale.status).toBe(401);
    expect((await stale.json()).error).toBe('otp_invalid');
    expect((await verifyOtp(server, { email, code: newCode })).status).toBe(200);
  });

  it('issue 3: a second request within 60 s → 429 with Retry-After and the X-RateLimit headers', async () => {
    const email = freshEmail();
    expect((await requestOtp(server, { email })).status).toBe(200);
    server.clock.advance(20);
    const response = await requestOtp(server, { email });
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ error: 'rate_limit_exceeded', message: expect.any(String), retryAfter: 40 });
    expect(response.headers.get('retry-after')).toBe('40');
    expect(response.headers.get('x-ratelimit-limit')).toBe('1');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((server.clock.now() + 40_000) / 1000));
    // Only one message went out.
    expect(await server.server.runtime.store.listDevMessages({ recipient: email })).toHaveLength(1);
    server.clock.advance(40);
    expect((await requestOtp(server, { email })).status).toBe(200);
  });

  it('SPEC §5.4: the answer never tells whether the address is known', async () => {
    const known = freshEmail();
    await signInByEmail(server, known);
    server.clock.advance(61);
    const unknown = freshEmail();
    const responses = [await requestOtp(server, { email: known }), await requestOtp(server, { email: unknown })];
    const shapes = await Promise.all(
      responses.map(async (r) => ({
        status: r.status,
        body: await r.text(),
        headers: [...r.headers.keys()].filter((h) => !['x-request-id', 'date'].includes(h)).sort(),
      })),
    );
    expect(shapes[0]).toEqual(shapes[1]);
  });

  it('phones: three national formats of one number → one E.164 destination', async () => {
    const formats = [
      { phone: '(415) 555-2671', defaultCountry: 'US' },
      { phone: '415.555.2671', defaultCountry: 'US' },
      { phone: '+1 415 555 2671' },
    ];
    const destinations = new Set<string>();
    for (const body of formats) {
      server.clock.advance(1);
      expect((await requestOtp(server, body)).status).toBe(200);
      const [message] = await server.server.runtime.store.listDevMessages({ limit: 1 });
      destinations.add(message!.recipient);
      server.clock.advance(61);
    }
    expect([...destinations], JSON.stringify([...destinations])).toEqual(['+14155552671']);
    // A code sent to one format verifies with another.
    const code = await latestCode(server, '+14155552671');
    const response = await verifyOtp(server, { phone: '4155552671', defaultCountry: 'US', code });
    expect(response.status).toBe(200);
    expect((await response.json()).session.phone).toBe('+14155552671');
  });

  it('SPEC §5.4: validation — invalid phone, both or neither contact, bad email, bad code', async () => {
    const invalidPhone = await requestOtp(server, { phone: '555-0000', defaultCountry: 'US' });
    expect(invalidPhone.status).toBe(400);
    expect((await invalidPhone.json()).issues).toEqual([
      expect.objectContaining({ kind: 'validation', expected: 'a valid phone number', path: [expect.objectContaining({ key: 'phone' })] }),
    ]);
    const national = await requestOtp(server, { phone: '(415) 555-2671' });
    expect(national.status).toBe(400);
    for (const body of [{ email: 'a@example.com', phone: '+14155552671' }, {}, { email: 'not-an-address' }, { name: 'x' }]) {
      const response = await requestOtp(server, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).error).toBe('validation_error');
    }
    for (const code of ['12345', '1234567', 'abcdef', 123456]) {
      const response = await verifyOtp(server, { email: 'a@example.com', code });
      expect(response.status).toBe(400);
    }
  });

  it('SPEC §5.4: verify with no pending code → 401 otp_expired', async () => {
    const response = await verifyOtp(server, { email: freshEmail(), code: '123456' });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('otp_expired');
  });

  it('SPEC §4: 20 concurrent wrong tries → exactly 5 otp_invalid; the rest otp_expired or 429', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    const wrong = code === '000000' ? '111111' : '000000';
    const responses = await Promise.all(Array.from({ length: 20 }, () => verifyOtp(server, { email, code: wrong })));
    const errors = await Promise.all(responses.map(async (r) => (await r.json()).error));
    expect(errors.filter((e) => e === 'otp_invalid')).toHaveLength(5);
    // The others found the code burnt, or hit the per-destination verification limit first.
    expect(errors.filter((e) => e !== 'otp_invalid').every((e) => e === 'otp_expired' || e === 'rate_limit_exceeded')).toBe(true);
    expect((await verifyOtp(server, { email, code })).status).not.toBe(200);
  });

  it('SPEC §4: after a code is burnt, a new request gives a working code', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const burnt = await latestCode(server, email);
    const wrong = burnt === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt++) await verifyOtp(server, { email, code: wrong });
    server.clock.advance(61);
    await requestOtp(server, { email });
    expect((await verifyOtp(server, { email, code: await latestCode(server, email) })).status).toBe(200);
  });

  it('SPEC §3: a validation error never quotes a code back', async () => {
    const email = freshEmail();
    for (const code of ['493817 ', 493817]) {
      const response = await verifyOtp(server, { email, code });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).not.toContain('493817');
      expect(JSON.parse(text).issues[0]).toMatchObject({ received: '"[redacted]"', path: [{ key: 'code', value: '[redacted]' }] });
    }
  });

  it('concurrent verifications of one code → exactly one session', async () => {
    const email = freshEmail();
    await requestOtp(server, { email });
    const code = await latestCode(server, email);
    const responses = await Promise.all(Array.from({ length: 20 }, () => verifyOtp(server, { email, code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
  });
});
