import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { IDENTITY, authorize, exchange, signIn } from './helpers/flows.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachEngine('POST /auth/external/authorize', (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());

  it('SPEC §5.1: 200 with an exc_ code that expires exactly 60 s after now', async () => {
    const response = await authorize(server, server.demo, { ...IDENTITY, subject: 'fresh-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = await response.json();
    expect(body).toEqual({
      exchangeCode: expect.stringMatching(/^exc_[A-Za-z0-9_-]{43}$/),
      expiresAt: new Date(server.clock.now() + 60_000).toISOString(),
      resolution: 'created',
    });
  });

  it('SPEC §3 / seed 000: missing subject → 400 with Valibot issue, exactly', async () => {
    const response = await authorize(server, server.demo, { provider: 'shop', issuer: 'https://shop.example' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'validation_error',
      issues: [
        {
          kind: 'schema',
          type: 'object',
          expected: '"subject"',
          received: 'undefined',
          message: 'Invalid key: Expected "subject" but received undefined',
          path: [{ type: 'object', origin: 'key', input: { provider: 'shop', issuer: 'https://shop.example' }, key: 'subject' }],
        },
      ],
    });
  });

  it('SPEC §3 / seed 000: wrong types → one issue per field, each with all six fields', async () => {
    const response = await authorize(server, server.demo, { provider: 7, issuer: 'https://shop.example', subject: ['x'] });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe('validation_error');
    expect(body.issues).toHaveLength(2);
    expect(body.issues[0]).toMatchObject({
      kind: 'schema', type: 'string', expected: 'string', received: '7',
      message: 'Invalid type: Expected string but received 7',
      path: [{ type: 'object', origin: 'value', key: 'provider', input: { provider: 7, issuer: 'https://shop.example', subject: ['x'] } }],
    });
    expect(body.issues[1]).toMatchObject({ type: 'string', received: 'Array', path: [{ key: 'subject' }] });
    for (const issue of body.issues) {
      expect(Object.keys(issue)).toEqual(expect.arrayContaining(['kind', 'type', 'expected', 'received', 'message', 'path']));
    }
  });

  it('SPEC §3: a body that is not JSON is validated as undefined, path []', async () => {
    const response = await server.request('/auth/external/authorize', {
      method: 'POST',
      body: 'provider=shop',
      headers: { authorization: `Bearer ${server.demo.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'validation_error',
      issues: [{ kind: 'schema', type: 'object', expected: 'Object', received: 'undefined', message: 'Invalid type: Expected Object but received undefined', path: [] }],
    });
  });

  it('SPEC §3: JSON that is not an object (array, string, null) is validated as undefined', async () => {
    for (const body of [[IDENTITY], 'shop', null]) {
      const response = await authorize(server, server.demo, body);
      expect(response.status).toBe(400);
      expect((await response.json()).issues).toEqual([
        { kind: 'schema', type: 'object', expected: 'Object', received: 'undefined', message: 'Invalid type: Expected Object but received undefined', path: [] },
      ]);
    }
  });

  it('SPEC §5.1: fields over their limits are validation errors', async () => {
    for (const body of [
      { ...IDENTITY, provider: 'p'.repeat(65) },
      { ...IDENTITY, issuer: '' },
      { ...IDENTITY, subject: 's'.repeat(256) },
      { ...IDENTITY, canonicalSubject: 'c'.repeat(256) },
      { ...IDENTITY, codeChallenge: 'too-short' },
    ]) {
      const response = await authorize(server, server.demo, body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((await response.json()).error).toBe('validation_error');
    }
  });

  it('SPEC §5.1: claims over 10,000 characters of JSON → 400; at the limit → 200', async () => {
    const over = { ...IDENTITY, subject: 'claims-big', claims: { note: 'x'.repeat(10_000) } };
    const rejected = await authorize(server, server.demo, over);
    expect(rejected.status).toBe(400);
    const body = await rejected.json();
    expect(body.issues[0]).toMatchObject({
      kind: 'validation', type: 'raw_check', expected: '<= 10000 characters of JSON', received: 'invalid',
      message: 'claims must be at most 10000 characters of JSON', path: [{ key: 'claims' }],
    });
    const atLimit = { ...IDENTITY, subject: 'claims-big', claims: { note: 'x'.repeat(10_000 - '{"note":""}'.length) } };
    expect((await authorize(server, server.demo, atLimit)).status).toBe(200);
  });

  it('U+0000 and lone surrogates are refused, so both engines store the same identities', async () => {
    for (const subject of ['nul\u0000byte', 'lone\uD800', 'lone\uDC00trail']) {
      const response = await authorize(server, server.demo, { ...IDENTITY, subject });
      expect(response.status).toBe(400);
      expect((await response.json()).issues[0]).toMatchObject({ expected: 'well-formed text', path: [{ key: 'subject' }] });
    }
    // U+FFFD itself and astral characters (surrogate pairs) are ordinary text.
    const replacement = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'victim\uFFFD' })).json();
    const astral = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'victim\u{1F600}' })).json();
    expect([replacement.resolution, astral.resolution]).toEqual(['created', 'created']);
  });

  it('every validation issue carries the six fields of seed 000 as strings and arrays', async () => {
    const bodies = [{}, { ...IDENTITY, subject: 'a\u0000' }, { ...IDENTITY, claims: { x: 'y'.repeat(10_001) } }, { ...IDENTITY, provider: 3 }];
    for (const body of bodies) {
      const { issues } = await (await authorize(server, server.demo, body)).json();
      for (const issue of issues) {
        for (const field of ['kind', 'type', 'expected', 'received', 'message']) expect(typeof issue[field], field).toBe('string');
        expect(Array.isArray(issue.path)).toBe(true);
      }
    }
  });

  it('SPEC §5.1: blank claims fill nothing, so a later real value still can', async () => {
    const identity = { ...IDENTITY, subject: 'blank-claims' };
    await authorize(server, server.demo, { ...identity, claims: { email: '', fullName: '   ' } });
    const later = await (await authorize(server, server.demo, { ...identity, claims: { email: 'real@example.com', fullName: 'Real Name' } })).json();
    const session = await (await exchange(server, server.demo, { exchangeCode: later.exchangeCode })).json();
    const profile = await (await server.request('/consumers/me', { headers: { authorization: `Bearer ${session.accessToken}` } })).json();
    expect(profile).toMatchObject({ email: 'real@example.com', fullName: 'Real Name' });
  });

  it('SPEC §2: no credential → 401 authentication_required', async () => {
    const response = await server.request('/auth/external/authorize', { json: IDENTITY });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'authentication_required', message: expect.any(String) });
  });

  it('SPEC §2: unknown secret key → 401 invalid_api_key (as Bearer and as x-secret-key)', async () => {
    const unknown = `sk_test_${'A'.repeat(43)}`;
    for (const headers of [{ authorization: `Bearer ${unknown}` }, { "x-secret-key": unknown }] as Record<string, string>[]) {
      const response = await server.request('/auth/external/authorize', { json: IDENTITY, headers });
      expect(response.status).toBe(401);
      expect((await response.json()).error).toBe('invalid_api_key');
    }
  });

  it('SPEC §2: the secret key is accepted as x-secret-key too', async () => {
    const response = await server.request('/auth/external/authorize', { json: IDENTITY, headers: { 'x-secret-key': server.demo.secretKey } });
    expect(response.status).toBe(200);
  });

  it('SPEC §2: publishable key where a secret key is needed → 403 forbidden', async () => {
    const response = await server.request('/auth/external/authorize', { json: IDENTITY, headers: { 'x-publishable-key': server.demo.publishableKey } });
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('forbidden');
  });

  it('SPEC §2: consumer access token where a secret key is needed → 403 forbidden', async () => {
    const { accessToken } = await signIn(server);
    const response = await server.request('/auth/external/authorize', { json: IDENTITY, headers: { authorization: `Bearer ${accessToken}` } });
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('forbidden');
  });

  it('SPEC §2: publishable and secret keys of two applications → 403 forbidden', async () => {
    const other = await server.createApp();
    const response = await server.request('/auth/external/authorize', {
      json: IDENTITY,
      headers: { authorization: `Bearer ${server.demo.secretKey}`, 'x-publishable-key': other.publishableKey },
    });
    expect(response.status).toBe(403);
    expect((await response.json()).error).toBe('forbidden');
  });

  it('SPEC §2: endpoints that take a secret key never answer a browser origin', async () => {
    const response = await server.request('/auth/external/authorize', {
      json: IDENTITY,
      headers: { authorization: `Bearer ${server.demo.secretKey}`, origin: 'http://localhost:3000' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await server.request('/auth/external/authorize', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('SPEC §5.1 resolution: existing identity → existing, same consumer', async () => {
    const identity = { ...IDENTITY, subject: 'resolve-existing' };
    const first = await (await authorize(server, server.demo, identity)).json();
    const second = await (await authorize(server, server.demo, identity)).json();
    expect(first.resolution).toBe('created');
    expect(second.resolution).toBe('existing');
    const a = await (await exchange(server, server.demo, { exchangeCode: first.exchangeCode })).json();
    const b = await (await exchange(server, server.demo, { exchangeCode: second.exchangeCode })).json();
    expect(a.session.consumerId).toBe(b.session.consumerId);
  });

  it('SPEC §5.1 resolution: new identity with a known canonicalSubject → linked to that consumer', async () => {
    const first = await (await authorize(server, server.demo, { ...IDENTITY, subject: 'google-7', canonicalSubject: 'person-7' })).json();
    server.clock.advance(1);
    const second = await (
      await authorize(server, server.demo, { provider: 'apple', issuer: 'https://appleid.apple.com', subject: 'apple-7', canonicalSubject: 'person-7' })
    ).json();
    expect(first.resolution).toBe('created');
    expect(second.resolution).toBe('linked');
    const session = await (await exchange(server, server.demo, { exchangeCode: second.exchangeCode })).json();
    const profile = await (await server.request('/consumers/me', { headers: { authorization: `Bearer ${session.accessToken}` } })).json();
    expect(profile.identities).toEqual([
      { provider: 'shop', issuer: 'https://shop.example', subject: 'google-7' },
      { provider: 'apple', issuer: 'https://appleid.apple.com', subject: 'apple-7' },
    ]);
  });

  it('SPEC §5.1: an existing identity keeps its consumer when canonicalSubject disagrees, and it is audited', async () => {
    const identity = { ...IDENTITY, subject: 'mismatch-1' };
    const first = await (await authorize(server, server.demo, { ...identity, canonicalSubject: 'person-a' })).json();
    await authorize(server, server.demo, { ...IDENTITY, subject: 'mismatch-2', canonicalSubject: 'person-b' });
    const again = await (await authorize(server, server.demo, { ...identity, canonicalSubject: 'person-b' })).json();
    expect(again.resolution).toBe('existing');
    const a = await (await exchange(server, server.demo, { exchangeCode: first.exchangeCode })).json();
    const b = await (await exchange(server, server.demo, { exchangeCode: again.exchangeCode })).json();
    expect(b.session.consumerId).toBe(a.session.consumerId);
    const { deps } = server.server.runtime;
    const events = await deps.store.listAuditEvents((await deps.store.findOrganizationByName('default'))!.id, 'identity.canonical_subject_mismatch');
    expect(events.map((e) => e.data.consumerId)).toContain(a.session.consumerId);
  });

  it('SPEC §5.1: claims fill only empty fields, never overwrite', async () => {
    const identity = { ...IDENTITY, subject: 'claims-fill' };
    await authorize(server, server.demo, { ...identity, claims: { email: 'first@example.com', plan: 'gold' } });
    const second = await (
      await authorize(server, server.demo, { ...identity, claims: { email: 'second@example.com', name: 'Ada Lovelace', plan: 'silver', tier: 2 } })
    ).json();
    const session = await (await exchange(server, server.demo, { exchangeCode: second.exchangeCode })).json();
    expect(session.session.email).toBe('first@example.com');
    const profile = await (await server.request('/consumers/me', { headers: { authorization: `Bearer ${session.accessToken}` } })).json();
    expect(profile).toMatchObject({ email: 'first@example.com', fullName: 'Ada Lovelace' });
    const consumer = await server.server.runtime.deps.store.getConsumer(profile.id);
    expect(consumer!.claims).toEqual({ plan: 'gold', tier: 2 });
  });

  it('SPEC §5.1: concurrent first sign-ins of one identity resolve to one consumer', async () => {
    const identity = { ...IDENTITY, subject: 'race-1' };
    const responses = await Promise.all(Array.from({ length: 10 }, () => authorize(server, server.demo, identity)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(bodies.filter((b) => b.resolution === 'created')).toHaveLength(1);
    const sessions = await Promise.all(bodies.map(async (b) => (await exchange(server, server.demo, { exchangeCode: b.exchangeCode })).json()));
    expect(new Set(sessions.map((s) => s.session.consumerId)).size).toBe(1);
  });
});
