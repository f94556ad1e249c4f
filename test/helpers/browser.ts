import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); the tests never download a browser. */
export const CHROMIUM_PATH = process.env.LATCHKEY_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** True when the browser suites can run; CI (LATCHKEY_TEST_REQUIRE_SERVICES=1) treats a missing browser as a failure. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.LATCHKEY_TEST_REQUIRE_SERVICES === '1') throw new Error(`Chromium is required at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  process.stderr.write(`\n  NOTICE: no Chromium at ${CHROMIUM_PATH} — the browser suite is SKIPPED (apt-get install -y chromium).\n\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // The flags of this machine's probe: no sandbox as root, and no background traffic to a closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Where the browser suites leave their screenshots (git-ignored). */
export const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url);

/** axe-core's source, injected into pages for the accessibility checks. */
export const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A client's callback server on loopback, as a native or local app would run: it records where the browser landed. */
export async function startCallbackServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the app'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
