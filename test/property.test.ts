import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { bodyFieldsOf, expectDocumentedAnswer, prepareFixture, probe, routeCatalogue, send, type Fault, type Fixture, type Operation } from './helpers/routes.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { installStoreTripwire } from './helpers/tripwire-store.js';

/** Limits high enough that every request reaches parsing and the flows instead of a 429. */
const NO_RATE_LIMITS = {
  LATCHKEY_RATE_LIMIT_GUEST_PER_IP: '100000/60',
  LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_IP: '100000/60',
  LATCHKEY_RATE_LIMIT_OTP_REQUEST_PER_DESTINATION: '100000/60',
  LATCHKEY_RATE_LIMIT_OTP_VERIFY_PER_DESTINATION: '100000/60',
  LATCHKEY_RATE_LIMIT_LOGIN_PER_IP: '100000/60',
  LATCHKEY_RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '100000/60',
  LATCHKEY_RATE_LIMIT_EXTERNAL_AUTHORIZE_PER_APPLICATION: '100000/60',
  LATCHKEY_RATE_LIMIT_ACCOUNT_CHANGES_PER_IP: '100000/60',
  LATCHKEY_RATE_LIMIT_REGISTRATION_PER_IP: '100000/60',
};

// "Bad input never reaches a 5xx" (CHECKLIST, Everywhere): arbitrary bodies, JSON or not, with the
// right credential so they get past authentication and reach validation and the flows.
describeEachEngine('property: arbitrary bodies never produce a 5xx', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine, NO_RATE_LIMITS);
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

// Issue 11.3: every route of the route table (read from GET /openapi.json, so a new route is covered
// without editing this file), every input position — path segment, query, body field in each media
// type, credential header — with U+0000, a lone surrogate, a control character and an over-long
// value. No 5xx, the documented shape, and no such text reaches the store on either engine.
describeEachEngine('issue 11.3 / CHECKLIST "Everywhere": bad text on every route never reaches a 5xx or the store', (engine) => {
  let server: TestServer;
  let operations: Operation[];
  let fixture: Fixture;
  let storeViolations: string[];
  beforeAll(async () => {
    server = await startTestServer(engine, NO_RATE_LIMITS);
    fixture = await prepareFixture(server);
    operations = await routeCatalogue(server);
    storeViolations = installStoreTripwire(server);
  });
  afterAll(() => server?.close());

  const hostile = (base: string, overLong = 10_000): Array<[string, string]> => [
    ['NUL', `${base}\u0000`],
    ['lone surrogate', `${base}\uD800`],
    ['control character', `${base}\u0001`],
    ['over-long', base + 'x'.repeat(overLong)],
  ];
  // Header values are bytes: U+0000 and control characters cannot be sent (clients refuse them, and
  // so does Node's parser), so headers get Latin-1 and length; HTTP Basic carries any text in base64.
  const hostileHeaders = (): Array<[string, string]> => {
    const { publishableKey, secretKey } = fixture.app;
    const basic = (id: string) => `Basic ${Buffer.from(`${id}:${secretKey}`).toString('base64')}`;
    return [
      ...[`${publishableKey}\u00ff`, publishableKey + 'x'.repeat(4000), 'pk_test_'].flatMap((key) => [
        ['x-client-key', key], ['x-publishable-key', key],
      ] as Array<[string, string]>),
      ['x-secret-key', `${secretKey}\u00ff`], ['x-secret-key', secretKey + 'x'.repeat(4000)],
      ['authorization', `Bearer ${secretKey}\u00ff`], ['authorization', 'Bearer pk_test_\u00ff'], ['authorization', `Bearer ${publishableKey}`],
      ['authorization', `Bearer ${'x'.repeat(4000)}`], ['authorization', `Bearer ${fixture.loginToken}\u00ff`],
      ['authorization', basic('pk_test_\u0000')], ['authorization', basic('pk_test_%00')], ['authorization', basic(`${publishableKey}\uD800`)],
      ['authorization', basic(publishableKey + 'x'.repeat(3000))], ['authorization', 'Basic %%%'],
    ];
  };

  /** Every fault of one operation: each path parameter, query parameter, body field (per media type) and header. */
  function faultsOf(operation: Operation): Fault[] {
    const faults: Fault[] = [];
    for (const name of operation.pathParams) {
      const base = name === 'id' ? fixture.hosted.id : fixture.app.id;
      for (const [, value] of hostile(base, 3000)) faults.push({ pathParam: [name, value] });
    }
    for (const name of [...operation.queryParams, 'x']) for (const [, value] of hostile('pk_test_', 3000)) faults.push({ query: [name, value] });
    const types = operation.requestTypes.length > 0 ? operation.requestTypes : [undefined];
    for (const name of bodyFieldsOf(operation)) {
      for (const contentType of types) for (const [, value] of hostile('pk_test_')) faults.push({ field: [name, value], ...(contentType ? { contentType } : {}) });
    }
    for (const header of hostileHeaders()) faults.push({ header });
    return faults;
  }

  it('every operation of GET /openapi.json, every input position', async () => {
    expect(operations.length).toBeGreaterThan(25);
    for (const operation of operations) {
      const probes = faultsOf(operation).map((fault) => probe(operation, fixture, fault));
      // A few at a time: quick, without flooding a busy machine.
      for (let i = 0; i < probes.length; i += 6) {
        await Promise.all(probes.slice(i, i + 6).map(async (request) => expectDocumentedAnswer(operation, request, await send(server, request))));
      }
    }
    expect(storeViolations).toEqual([]);
  }, 180_000);

  it('arbitrary text (fast-check) in any position of any operation', async () => {
    const position = fc.constantFrom('path', 'query', 'field', 'header');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.string({ unit: 'binary', minLength: 3000, maxLength: 3000 }),
      fc.constantFrom('\u0000', '\uD800', '\uDC00x', 'pk_test_\u0000', 'azr_\u0000', 'app_\u0000.css', 'sk_test_\uDFFF'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), position, text, fc.nat(), async (operation, where, value, pick) => {
        const fields = bodyFieldsOf(operation);
        const fault: Fault =
          where === 'path' && operation.pathParams.length > 0 ? { pathParam: [operation.pathParams[pick % operation.pathParams.length]!, value] }
          : where === 'field' && fields.length > 0 ? { field: [fields[pick % fields.length]!, value], ...(operation.requestTypes.length > 1 ? { contentType: operation.requestTypes[pick % operation.requestTypes.length]! } : {}) }
          : where === 'header' ? { header: [['x-client-key', 'x-publishable-key', 'x-secret-key'][pick % 3]!, Buffer.from(value, 'latin1').toString('latin1').replace(/[\u0000-\u001F\u007F\u0100-\uFFFF]/g, '\u00ff')] }
          : { query: [operation.queryParams[pick % Math.max(1, operation.queryParams.length)] ?? 'x', value] };
        const request = probe(operation, fixture, fault);
        await expectDocumentedAnswer(operation, request, await send(server, request));
      }),
      { numRuns: 150 },
    );
    expect(storeViolations).toEqual([]);
  }, 120_000);
});
