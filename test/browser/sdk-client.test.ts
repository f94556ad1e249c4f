import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize } from 'node:path';
import type { Kysely } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId } from '../../src/crypto/random.js';
import { createApplication } from '../../src/flows/applications.js';
import { DEFAULT_ORGANIZATION_SETTINGS } from '../../src/protocol/lifetimes.js';
import { createLatchkeyServer, type LatchkeyServer } from '../../src/sdk/server/index.js';
import { openDatabase } from '../../src/storage/database.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DIST_SDK = new URL('../../dist/sdk/', import.meta.url);
const PAGE = readFileSync(new URL('../fixtures/sdk/page.html', import.meta.url), 'utf8');

/**
 * The app's own origin: the test page, the built `latchkey/client` from dist/ (what the package
 * ships), its config, and a barrier that answers two tabs at the same instant.
 */
async function startAppServer(config: () => object): Promise<{ origin: string; close(): Promise<void> }> {
  const waiting = new Map<string, Array<() => void>>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://app');
    if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url.pathname === '/config.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config()));
    if (url.pathname === '/barrier') {
      // Both tabs' requests are held until the second arrives, then released together.
      const round = url.searchParams.get('round')!;
      const release = () => res.writeHead(200, { 'cache-control': 'no-store' }).end('go');
      const queue = [...(waiting.get(round) ?? []), release];
      if (queue.length < 2) return void waiting.set(round, queue);
      waiting.delete(round);
      for (const go of queue) go();
      return;
    }
    const file = normalize(url.pathname.replace(/^\/sdk\//, ''));
    if (!url.pathname.startsWith('/sdk/') || file.startsWith('..') || extname(file) !== '.js') return void res.writeHead(404).end();
    try {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(new URL(file, DIST_SDK)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A counter of the server's metrics (`latchkey_tokens_issued_total{kind="consumer_refresh"}` …). */
async function metric(server: TestServer, name: string, kind: string): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  return Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

// One engine: what is under test is the browser client's coordination; the server's rotation is
// covered on both engines by test/refresh.test.ts and the store contract.
describe.skipIf(!hasChromium())('latchkey/client in Chromium (SPEC §11)', () => {
  let server: TestServer;
  let app: { origin: string; close(): Promise<void> };
  let browser: Browser;
  let backend: LatchkeyServer;
  let publishableKey = '';
  let db: Kysely<any>;
  let closeDb: () => Promise<void>;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    app = await startAppServer(() => ({ baseUrl: server.url, publishableKey }));
    const { deps } = server.server.runtime;
    // An organization with no reuse window (SPEC §4): any second use of a rotated refresh token
    // revokes the session, so only the client's own single-flight can keep two tabs signed in.
    const now = server.clock.now();
    const organization = {
      id: generateId('org_', now), name: 'sdk-browser', createdAt: now,
      settings: { ...DEFAULT_ORGANIZATION_SETTINGS, refreshReuseIntervalSeconds: -1 },
      branding: { displayName: null, logoUrl: null, accentColor: null },
    };
    await deps.store.createOrganization(organization);
    const { application, secretKey } = await createApplication(deps, {
      organizationId: organization.id, name: 'SPA', type: 'confidential', environment: 'test', allowedOrigins: [app.origin],
    });
    publishableKey = application.publishableKey;
    backend = createLatchkeyServer({ baseUrl: server.url, secretKey });
    const opened = openDatabase(server.server.runtime.config.databaseUrl);
    db = opened.db as unknown as Kysely<any>;
    closeDb = () => db.destroy();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await closeDb?.();
    await app?.close();
    await server?.close();
  });

  async function openTab(context: BrowserContext, store?: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    await page.goto(store ? `${app.origin}/?store=${store}` : app.origin);
    await page.waitForFunction(() => (window as any).ready === true);
    return page;
  }

  /** The backend mints a code (seed 000) and the page exchanges it. */
  async function signIn(page: Page, subject: string) {
    const { exchangeCode } = await backend.createExchangeCode({ provider: 'shop', issuer: 'https://shop.example', subject });
    return page.evaluate((code) => (window as any).latchkey.exchange(code), exchangeCode);
  }

  const stored = (page: Page) => page.evaluate(() => (window as any).readStored());
  const sessionIdOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).sid as string;

  it.each([['the default store (IndexedDB)', undefined], ['localStorage', 'localStorage']])('SPEC §5.2 / §11: exchange gives a session; a reload keeps it — %s', async (_name, store) => {
    const context = await browser.newContext();
    const page = await openTab(context, store);
    const session = await signIn(page, 'browser-reload');
    expect(session).toMatchObject({ type: 'authenticated', consumerId: expect.stringMatching(/^con_/) });
    expect(await page.evaluate(() => (window as any).latchkey.me().then((me: any) => me.id))).toBe(session.consumerId);

    await page.reload();
    await page.waitForFunction(() => (window as any).ready === true);
    expect(await page.evaluate(() => (window as any).latchkey.getSession())).toEqual(session);
    expect(await page.evaluate(() => (window as any).latchkey.me().then((me: any) => me.id))).toBe(session.consumerId);
    await context.close();
  });

  it('issue 16: two tabs refresh at the same moment 50 times — every call succeeds, one rotation per round, the session lives', async () => {
    const context = await browser.newContext();
    const [first, second] = [await openTab(context), await openTab(context)];
    await signIn(first, 'browser-two-tabs');
    const sessionId = sessionIdOf((await stored(first)).accessToken);
    const refreshesBefore = await metric(server, 'latchkey_tokens_issued_total', 'consumer_refresh');
    const replaysBefore = await metric(server, 'latchkey_replays_detected_total', 'refresh_token');

    // "The same moment": both tabs have called refresh() before the first /auth/refresh may reach the
    // server (it is held until then), so neither tab can have seen the other's result first.
    let gate = { entered: 0, open: () => {}, opened: Promise.resolve() };
    const newGate = () => {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { entered: 0, open, opened };
    };
    await context.exposeBinding('entered', () => {
      if (++gate.entered === 2) gate.open();
    });
    await context.route(`${server.url}/auth/refresh`, async (route) => {
      if (route.request().method() === 'POST') await gate.opened;
      await route.continue();
    });
    const rounds = 50;
    const refreshAt = (page: Page, round: number) =>
      page.evaluate(async (r) => {
        await fetch(`/barrier?round=${r}`, { cache: 'no-store' });
        const refreshed = (window as any).latchkey.refresh();
        await (window as any).entered();
        try {
          return { ok: true, type: (await refreshed).type };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      }, round);
    const outcomes = [];
    for (let round = 0; round < rounds; round++) {
      gate = newGate();
      outcomes.push(...(await Promise.all([refreshAt(first, round), refreshAt(second, round)])));
    }

    expect(outcomes).toEqual(Array(2 * rounds).fill({ ok: true, type: 'authenticated' }));
    // One /auth/refresh per round: the second tab took the first one's tokens from inside the lock.
    expect((await metric(server, 'latchkey_tokens_issued_total', 'consumer_refresh')) - refreshesBefore).toBe(rounds);
    expect((await metric(server, 'latchkey_replays_detected_total', 'refresh_token')) - replaysBefore).toBe(0);
    const family = await db.selectFrom('refresh_tokens').selectAll().where('session_id', '=', sessionId).execute();
    expect(family).toHaveLength(rounds + 1);
    expect(family.filter((token) => token.revoked_at !== null)).toEqual([]);
    const session = await db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect(session.revoked_at).toBeNull();
    // Both tabs hold the newest tokens, and they work.
    expect((await stored(second)).refreshToken).toBe((await stored(first)).refreshToken);
    expect(await second.evaluate(() => (window as any).latchkey.me().then((me: any) => me.type))).toBe('authenticated');
    await context.close();
  }, 120_000);

  it('SPEC §5.6 / §11: logout in one tab signs the other out', async () => {
    const context = await browser.newContext();
    const [first, second] = [await openTab(context), await openTab(context)];
    await signIn(first, 'browser-logout');
    const { accessToken } = await stored(first);
    await second.waitForFunction(() => (window as any).sessionEvents.some((s: unknown) => s !== null));

    await first.evaluate(() => (window as any).latchkey.logout());
    // The other tab hears of it (BroadcastChannel) and tells its listeners.
    await second.waitForFunction(() => (window as any).sessionEvents.at(-1) === null);
    expect(await second.evaluate(() => (window as any).latchkey.getSession())).toBeNull();
    expect(await second.evaluate(() => (window as any).latchkey.getAccessToken())).toBeNull();
    // And the session is over on the server.
    expect((await server.request('/consumers/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
    await context.close();
  });

  it('SPEC §11: fetch recovers from an expired access token (refreshes once, retries)', async () => {
    const context = await browser.newContext();
    const page = await openTab(context);
    await signIn(page, 'browser-expired');
    const before = (await stored(page)).accessToken;
    // The browser's clock still thinks the token fresh; the server's says it expired an hour ago.
    server.clock.advance(2 * 3600);
    const result = await page.evaluate(async (baseUrl) => {
      const response = await (window as any).latchkey.fetch(`${baseUrl}/consumers/me`);
      return { status: response.status, body: await response.json() };
    }, server.url);
    expect(result).toMatchObject({ status: 200, body: { type: 'authenticated' } });
    const after = (await stored(page)).accessToken;
    expect(after).not.toBe(before);
    expect((await server.request('/consumers/me', { headers: { authorization: `Bearer ${before}` } })).status).toBe(401);
    await context.close();
  });
});
