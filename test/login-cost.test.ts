import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, createPasswordUser, initiate, login, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Every argon2 verification the server runs, with the PHC string it verified against: counted, not
 * timed (a count does not depend on how busy the machine is). The real `verify` still runs.
 */
const verifications = vi.hoisted(() => [] as string[]);
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...actual,
    verify: (hashed: string, password: string, ...rest: unknown[]) => {
      verifications.push(hashed);
      return (actual.verify as (...args: unknown[]) => Promise<boolean>)(hashed, password, ...rest);
    },
  };
});

/** `$argon2id$v=19$m=…,t=…,p=…`: the algorithm and cost of a PHC string, without its salt and hash. */
const costOf = (phc: string) => phc.split('$').slice(0, 4).join('$');

describeEachEngine('SPEC §6.2: an unknown email costs what a wrong password costs', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  beforeAll(async () => {
    server = await startTestServer(engine);
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  it('SPEC §6.2: a login with an unknown email runs one argon2id verification of the same cost as a wrong password, and gets the same answer', async () => {
    const user = await createPasswordUser(server);
    const stored = (await server.server.runtime.deps.store.findPasswordUser((await server.server.runtime.deps.store.getApplication(app.id))!, user.email))!.passwordHash;
    expect(costOf(stored)).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+$/);

    for (let round = 0; round < 3; round++) {
      verifications.length = 0;
      const wrong = await login(server, app, user.email, `not the password ${round}`);
      expect(verifications).toEqual([stored]);

      verifications.length = 0;
      const unknown = await login(server, app, `nobody-${round}@example.com`, `not the password ${round}`);
      // One verification, against a well-formed hash of the configured cost (a malformed one would
      // fail at once without hashing anything) — not the user's hash, and not skipped.
      expect(verifications).toHaveLength(1);
      expect(costOf(verifications[0]!)).toBe(costOf(stored));
      expect(verifications[0]).not.toBe(stored);

      expect(unknown.status).toBe(wrong.status);
      expect(await unknown.json()).toEqual(await wrong.json());
    }
  });

  it('SPEC §6.2 / SPEC §7: the hosted login form costs the same for an unknown email: one argon2id verification of the configured cost', async () => {
    const user = await createPasswordUser(server);
    const hostedLogin = async (email: string) => {
      const { mode: _mode, ...query } = standardQuery(app, pkce().challenge);
      const path = new URL((await initiate(server, query)).headers.get('location')!).pathname;
      const page = await server.request(path);
      const jar = page.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      verifications.length = 0;
      const response = await server.request(`${path}/login`, {
        method: 'POST', body: new URLSearchParams({ csrf, email, password: 'not the password' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar }, redirect: 'manual',
      });
      return { status: response.status, verified: [...verifications] };
    };
    const wrong = await hostedLogin(user.email);
    const unknown = await hostedLogin(`nobody-${user.email}`);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.verified).toHaveLength(1);
    expect(unknown.verified).toHaveLength(1);
    expect(costOf(unknown.verified[0]!)).toBe(costOf(wrong.verified[0]!));
  });
});
