import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptAtRest } from '../src/crypto/key-encryption.js';
import type { FlowDeps } from '../src/flows/deps.js';
import { openTotpSecret } from '../src/flows/totp-proof.js';
import { TotpInvalid } from '../src/protocol/errors.js';

// docs/architecture.md (second factors): a TOTP secret sealed under another LATCHKEY_SECRET cannot be
// opened; the person gets a clear totp_invalid (an operator removes the factor), never a 500.
describe('TOTP secret sealed under another server secret', () => {
  const factor = (key: Buffer) => ({
    consumerId: 'con_a', organizationId: 'org_a', secretSealed: encryptAtRest(key, 'JBSWY3DPEHPK3PXP', 'con_a'), createdAt: 0, confirmedAt: 1, lastUsedStep: null,
  });
  const depsWith = (key: Buffer) => ({ serverKeys: { totpSecretKey: key } }) as unknown as FlowDeps;

  it('opens under its own key, and is a TotpInvalid naming the fix under another', () => {
    const key = randomBytes(32);
    expect(openTotpSecret(depsWith(key), factor(key))).toBe('JBSWY3DPEHPK3PXP');
    expect(() => openTotpSecret(depsWith(randomBytes(32)), factor(key))).toThrow(TotpInvalid);
    expect(() => openTotpSecret(depsWith(randomBytes(32)), factor(key))).toThrow(/ask an operator to remove it/);
  });
});
