import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../src/flows/keyring.js';
import { openDatabase } from '../src/storage/database.js';
import { openStore, type SqlStore } from '../src/storage/sql-store.js';
import { TestClock } from './helpers/clock.js';
import { createTestDatabase, describeEachEngine, type TestDatabase } from './helpers/engines.js';

describeEachEngine('Keyring: EdDSA for Latchkey\'s tokens, RS256 for ID tokens', (engine) => {
  let database: TestDatabase;
  let store: SqlStore;
  const clock = new TestClock();
  const keyEncryptionKey = randomBytes(32);
  const keyring = () => new Keyring({ store, clock, keyEncryptionKey, cacheSeconds: 30 });

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('signs with the algorithm asked for; its own verify accepts only EdDSA', async () => {
    const ring = keyring();
    await ring.ensureKey();
    const iat = Math.floor(clock.now() / 1000);
    const claims = { iss: 'https://issuer.example', sub: 'u1', aud: 'client', iat, exp: iat + 60 };
    const idToken = await ring.sign(claims, 'JWT', 'RS256');
    const accessToken = await ring.sign(claims, 'at+jwt');
    const jwks = createLocalJWKSet(await ring.publicJwks());
    const at = { currentDate: new Date(clock.now()) };
    await expect(jwtVerify(idToken, jwks, { ...at, algorithms: ['RS256'] })).resolves.toMatchObject({ protectedHeader: { alg: 'RS256', typ: 'JWT' } });
    await expect(jwtVerify(accessToken, jwks, { ...at, algorithms: ['EdDSA'] })).resolves.toMatchObject({ protectedHeader: { alg: 'EdDSA' } });
    await expect(ring.verify(accessToken, {})).resolves.toMatchObject({ sub: 'u1' });
    await expect(ring.verify(idToken, {})).rejects.toThrow();
  });

  it('a database from before RS256 (EdDSA keys only) gets its RSA key at the next start; the EdDSA key stays', async () => {
    const first = keyring();
    await first.ensureKey();
    const before = await store.listPublishedSigningKeys(clock.now());
    const eddsaKid = before.find((k) => k.algorithm === 'EdDSA')!.kid;
    const { db } = openDatabase(database.url);
    await db.deleteFrom('signing_keys').where('algorithm', '=', 'RS256').execute();
    await db.destroy();

    await keyring().ensureKey();
    const after = await store.listPublishedSigningKeys(clock.now());
    expect(after.filter((k) => k.algorithm === 'RS256')).toHaveLength(1);
    expect(after.filter((k) => k.algorithm === 'EdDSA').map((k) => k.kid)).toEqual([eddsaKid]);
  });

  it('with every key of an algorithm retired, the next signature of that kind makes a new key instead of failing', async () => {
    const ring = keyring();
    await ring.ensureKey();
    const { db } = openDatabase(database.url);
    await db.updateTable('signing_keys').set({ retires_at: clock.now() }).where('algorithm', '=', 'RS256').execute();
    await db.destroy();
    clock.advance(31); // past the keyring's cache: it reloads and finds no RS256 key
    const iat = Math.floor(clock.now() / 1000);
    const idToken = await ring.sign({ iss: 'https://issuer.example', sub: 'u1', aud: 'client', iat, exp: iat + 60 }, 'JWT', 'RS256');
    const jwks = createLocalJWKSet(await ring.publicJwks());
    await expect(jwtVerify(idToken, jwks, { currentDate: new Date(clock.now()), algorithms: ['RS256'] })).resolves.toBeDefined();
    expect((await store.listPublishedSigningKeys(clock.now())).filter((k) => k.algorithm === 'RS256')).toHaveLength(1);
  });

  it('rotation rotates both algorithms on one schedule', async () => {
    const ring = keyring();
    await ring.ensureKey();
    const rotated = await ring.rotate(3600);
    const published = await store.listPublishedSigningKeys(clock.now());
    expect(published.find((k) => k.kid === rotated.kid)?.algorithm).toBe('EdDSA');
    expect(published.find((k) => k.kid === rotated.idTokenKid)?.algorithm).toBe('RS256');
    // Past the old keys' retirement only the two new keys remain.
    expect((await store.listPublishedSigningKeys(rotated.previousRetireAt)).map((k) => k.kid).sort()).toEqual([rotated.kid, rotated.idTokenKid].sort());
  });
});
