import { hashSecret } from '../crypto/hash.js';
import { ExchangeCodeExpired, InvalidCodeVerifier, InvalidExchangeCode } from '../protocol/errors.js';
import { computeS256Challenge, CODE_VERIFIER_PATTERN } from '../protocol/pkce.js';
import type { Application } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { guestGone, linkGuest } from './identity-sign-in.js';
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
  guest?: ConsumerPrincipal,
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
  let consumer = await currentConsumer(deps, code.consumerId);
  if (!consumer) throw new InvalidExchangeCode('the exchange code is unknown or was already used');
  let guestId: string | undefined;
  if (guest) {
    // SPEC §5.4 for exchanges: the identity counts as new when this code created its consumer and
    // nobody has signed in as it yet; then the guest takes it over in place (same consumerId).
    const isNew = guest.consumerId !== consumer.id && code.resolution === 'created' && !(await deps.store.consumerHasSessions(consumer.id));
    if (isNew) {
      if (!(await deps.store.mergeConsumerIntoGuest(consumer.id, guest.consumerId, now))) throw guestGone();
      consumer = (await deps.store.getConsumer(guest.consumerId))!;
    }
    const linked = await linkGuest(deps, guest, { consumer, isGuestUpgraded: isNew });
    guestId = linked.guestId;
  }
  return startConsumerSession(deps, application, consumer, { via: 'external_exchange', guestId });
}

/** The consumer that speaks for `consumerId` now: itself, or the one it was merged into. */
async function currentConsumer(deps: FlowDeps, consumerId: string) {
  let consumer = await deps.store.getConsumer(consumerId);
  for (let hops = 0; consumer?.mergedIntoId && hops < 5; hops++) consumer = await deps.store.getConsumer(consumer.mergedIntoId);
  return consumer;
}
