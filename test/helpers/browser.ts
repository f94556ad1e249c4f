import { existsSync } from 'node:fs';
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
