import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS, AXE_SOURCE, hasChromium, launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';


// SPEC §10: the pages touch no storage, so one engine is enough.
describe.skipIf(!hasChromium())('SPEC §10: / and /docs in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let operationIds: string[];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer('sqlite');
    const document = await (await server.request('/openapi.json')).json();
    operationIds = Object.values<Record<string, { operationId: string }>>(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A page opened under the real policy; every CSP complaint of the browser is collected. */
  async function open(path: string, width: number): Promise<{ page: Page; cspErrors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
    const response = await page.goto(server.url + path);
    expect(response!.status()).toBe(200);
    return { page, cspErrors };
  }

  /**
   * axe-core, every rule and impact: axe is a script, which the page's policy refuses, so it runs in
   * the same page loaded in a context that bypasses CSP, at the same width.
   */
  async function expectNoAxeViolations(path: string, width: number): Promise<void> {
    const context = await browser.newContext({ bypassCSP: true, viewport: { width, height: 800 } });
    const copy = await context.newPage();
    await copy.goto(server.url + path);
    await copy.addScriptTag({ content: AXE_SOURCE });
    const results = await copy.evaluate(async () => (globalThis as any).axe.run());
    expect(results.violations.map((v: { id: string; impact: string; help: string; nodes: unknown[] }) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length})`), `${path} at ${width} px`).toEqual([]);
    await context.close();
  }

  const pageWidth = (page: Page) => page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);

  for (const width of [1280, 360]) {
    it(`/docs at ${width} px: every operation of /openapi.json is on the page, styled under the strict policy, nothing wider than the screen, axe finds nothing`, async () => {
      const { page, cspErrors } = await open('/docs', width);
      const headings = await page.locator('h3[id^="op-"]').evaluateAll((elements) => elements.map((e) => e.id.slice(3)));
      expect(headings.sort()).toEqual([...operationIds].sort());
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Latchkey API reference');
      await expect(page.getByRole('navigation', { name: 'Contents' }).getByRole('link', { name: 'POST /v1/auth/oauth/token' }).isVisible()).resolves.toBe(true);
      // The stylesheet applied (a policy refusing it would leave the browser's defaults): the contents
      // stay beside the text on a wide screen and above it on a phone.
      expect(await page.locator('nav.toc').evaluate((e) => (globalThis as any).getComputedStyle(e).position)).toBe(width >= 900 ? 'sticky' : 'static');
      expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      expect(cspErrors).toEqual([]);
      await page.screenshot({ path: new URL(`docs-${width}.png`, SCREENSHOTS).pathname });
      await page.context().close();
      await expectNoAxeViolations('/docs', width);
    });

    it(`/ at ${width} px: the product, its links, nothing wider than the screen, axe finds nothing`, async () => {
      const { page, cspErrors } = await open('/', width);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Latchkey');
      for (const name of ['API reference', 'OpenID Connect discovery', 'OAuth authorization server metadata', 'JSON Web Key Set', 'OpenAPI document']) {
        expect(await page.getByRole('main').getByRole('link', { name }).isVisible(), name).toBe(true);
      }
      expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      expect(cspErrors).toEqual([]);
      await page.screenshot({ path: new URL(`landing-${width}.png`, SCREENSHOTS).pathname, fullPage: true });
      await page.context().close();
      await expectNoAxeViolations('/', width);
    });
  }

  it('/docs at 360 px: the keyboard alone reaches the contents links, each stop visibly focused, and Enter jumps to the operation', async () => {
    const { page } = await open('/docs', 360);
    const focused = () => page.evaluate(() => {
      const element = (globalThis as any).document.activeElement;
      const style = (globalThis as any).getComputedStyle(element);
      return {
        tag: element.tagName as string,
        href: (element.getAttribute('href') ?? '') as string,
        inContents: Boolean(element.closest('nav.toc')),
        ring: element.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    const target = `#op-${operationIds.find((id) => id === 'postOAuthToken')}`;
    let stops = 0;
    for (;;) {
      await page.keyboard.press('Tab');
      const now = await focused();
      expect(now, `focus ring on ${now.tag} ${now.href}`).toMatchObject({ ring: true });
      if (now.inContents && now.href === target) break;
      if (++stops > 80) throw new Error(`Tab never reached the contents link to ${target}`);
    }
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash === target);
    expect(await page.locator(target).isVisible()).toBe(true);
    const top = await page.locator(target).evaluate((e) => e.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(800);
    await page.context().close();
  });
});
