/** The redemptions the test-only fault can stop (storage's RedemptionKind). */
export const TEST_FAULT_POINTS = ['exchange_code', 'otp_code', 'authorization_request', 'authorization_code', 'webauthn_challenge'] as const;

export type TestFault = { crashAfterConsume: (typeof TEST_FAULT_POINTS)[number] };

const PREFIX = 'crash-after-consume:';

/**
 * Test only — never set in production: `LATCHKEY_TEST_FAULT=crash-after-consume:<kind>` makes the
 * server kill itself with SIGKILL inside a redemption of `<kind>`, right after its credential was
 * consumed and before what it creates is written (test/crash-safety.test.ts, issue 12.1). Not a
 * setting, so not in the configuration reference; the server warns at start when it is set.
 * Returns the fault, undefined when unset, or a problem message.
 */
export function parseTestFault(raw: string | undefined): TestFault | undefined | { problem: string } {
  if (raw === undefined || raw === '') return undefined;
  const kind = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length) : undefined;
  const point = TEST_FAULT_POINTS.find((p) => p === kind);
  if (!point) return { problem: `LATCHKEY_TEST_FAULT: test only; must be ${PREFIX}<${TEST_FAULT_POINTS.join('|')}> (got ${JSON.stringify(raw)})` };
  return { crashAfterConsume: point };
}
