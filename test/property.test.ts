import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// "Bad input never reaches a 5xx" (CHECKLIST, Everywhere): arbitrary bodies, JSON or not, with the
// right credential so they get past authentication and reach validation and the flows.
describe.each(engines)('property: arbitrary bodies never produce a 5xx [%s]', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    // Limits high enough that bodies reach parsing and the flows instead of a 429.
    server = await startTestServer(engine, {
      LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '100000/60',
      LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '100000/60',
      LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_DESTINATION: '100000/60',
      LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION: '100000/60',
    });
  });
  afterAll(() => server?.close());

  // Bodies that pass validation's shape, so arbitrary text reaches the flows and the database.
  const binary = (minLength: number, maxLength: number) => fc.string({ unit: 'binary', minLength, maxLength });
  const plausible = fc
    .record({
      provider: binary(1, 64),
      issuer: binary(1, 200),
      subject: binary(1, 255),
      canonicalSubject: fc.option(binary(1, 255), { nil: undefined }),
      claims: fc.option(fc.record({ email: binary(0, 50), name: binary(0, 50), extra: fc.jsonValue() }, { requiredKeys: [] }), { nil: undefined }),
    })
    .map((value) => ({ raw: JSON.stringify(value) }));

  // Shaped like valid OTP bodies (exactly one contact, a code), so arbitrary contacts reach phone
  // parsing, the flows and the store rather than stopping at validation.
  const contact = fc
    .record({
      contact: fc.oneof(
        fc.record({ email: fc.oneof(fc.emailAddress(), binary(3, 80)) }),
        fc.record({ phone: fc.oneof(fc.constantFrom('+14155552671', '4155552671', '+442079460958'), binary(3, 40)), defaultCountry: fc.constantFrom('US', 'GB', 'FR') }),
      ),
      code: fc.stringMatching(/^\d{6}$/),
      name: fc.option(binary(1, 50), { nil: undefined }),
    })
    .map(({ contact: c, ...rest }) => ({ raw: JSON.stringify({ ...c, ...rest }) }));

  const body = fc.oneof(
    { arbitrary: plausible, weight: 2 },
    { arbitrary: contact, weight: 3 },
    fc.string({ unit: 'binary' }).map((text) => ({ raw: text })),
    fc.jsonValue().map((value) => ({ raw: JSON.stringify(value) })),
    fc
      .record(
        {
          // 'binary' units include U+0000 and lone surrogates, which PostgreSQL text refuses.
          provider: fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.constant(null)),
          issuer: fc.oneof(fc.webUrl(), fc.string()),
          subject: fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), fc.boolean()),
          canonicalSubject: fc.string({ unit: 'binary' }),
          claims: fc.oneof(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), fc.record({ email: fc.string({ unit: 'binary' }) })),
          codeChallenge: fc.string(),
          exchangeCode: fc.oneof(fc.string({ unit: 'binary' }), fc.constant('exc_'), fc.integer()),
          codeVerifier: fc.string({ maxLength: 200 }),
          refreshToken: fc.oneof(fc.string({ unit: 'binary' }), fc.constant('rt_')),
          email: fc.oneof(fc.emailAddress(), fc.string({ unit: 'binary' })),
          phone: fc.oneof(fc.constantFrom('+14155552671', '(415) 555-2671', '020 7946 0958'), fc.string({ unit: 'binary' })),
          defaultCountry: fc.oneof(fc.constantFrom('US', 'GB', 'ZZ'), fc.string()),
          code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.string({ unit: 'binary' }), fc.integer()),
          name: fc.string({ unit: 'binary' }),
        },
        { requiredKeys: [] },
      )
      .map((value) => ({ raw: JSON.stringify(value) })),
  );

  for (const [path, header] of [
    ['/auth/external/authorize', 'secret'],
    ['/auth/external/exchange', 'publishable'],
    ['/auth/refresh', 'publishable'],
    ['/auth/guest', 'publishable'],
    ['/auth/otp/request', 'publishable'],
    ['/auth/otp/verify', 'publishable'],
  ] as const) {
    it(`POST ${path}`, async () => {
      await fc.assert(
        fc.asyncProperty(body, async ({ raw }) => {
          const headers: Record<string, string> =
            header === 'secret' ? { authorization: `Bearer ${server.demo.secretKey}` } : { 'x-publishable-key': server.demo.publishableKey };
          const response = await server.request(path, { method: 'POST', body: raw, headers: { ...headers, 'content-type': 'application/json' } });
          const text = await response.text();
          expect(response.status, text).toBeLessThan(500);
          expect(() => JSON.parse(text)).not.toThrow();
        }),
        { numRuns: 150 },
      );
    });
  }
});
