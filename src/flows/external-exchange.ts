import { hashSecret } from '../crypto/hash.js';
import { ExchangeCodeExpired, InvalidCodeVerifier, InvalidExchangeCode } from '../protocol/errors.js';
import { computeS256Challenge, CODE_VERIFIER_PATTERN } from '../protocol/pkce.js';
import type { Application } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { startConsumerSession, type AuthSession } from './sessions.js';

/**
 * SPEC §5.2: redeems an exchange code for an authenticated session. The code is consumed by one
 * conditional write that also checks the application and, when the code is browser-bound, the
 * verifier; a failure is then explained from the row, without consuming it.
 */
export async function exchangeExternalCode(
  deps: FlowDeps,
  application: Application,
  input: { exchangeCode: string; codeVerifier?: string },
): Promise<AuthSession> {
  const now = deps.clock.now();
  const codeHash = hashSecret(input.exchangeCode);
  const challenge =
    input.codeVerifier !== undefined && CODE_VERIFIER_PATTERN.test(input.codeVerifier) ? computeS256Challenge(input.codeVerifier) : null;
  const code = await deps.store.consumeExchangeCode(codeHash, application.id, challenge, now);
  if (!code) {
    const found = await deps.store.findExchangeCode(codeHash);
    // Another application's code is reported as unknown: its existence is not ours to reveal.
    if (!found || found.consumedAt !== null || found.applicationId !== application.id) {
      throw new InvalidExchangeCode('the exchange code is unknown or was already used');
    }
    if (found.expiresAt <= now) throw new ExchangeCodeExpired('the exchange code has expired');
    throw new InvalidCodeVerifier(
      input.codeVerifier === undefined ? 'this exchange code requires codeVerifier' : 'codeVerifier does not match the codeChallenge',
    );
  }
  const consumer = await deps.store.getConsumer(code.consumerId);
  if (!consumer) throw new InvalidExchangeCode('the exchange code is unknown or was already used');
  return startConsumerSession(deps, application, consumer, { via: 'external_exchange' });
}
