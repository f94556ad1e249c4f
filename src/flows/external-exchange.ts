import { hashSecret } from '../crypto/hash.js';
import { ExchangeCodeExpired, InvalidCodeVerifier, InvalidExchangeCode } from '../protocol/errors.js';
import { computeS256Challenge, CODE_VERIFIER_PATTERN } from '../protocol/pkce.js';
import type { Application, Consumer, ExchangeCode, OrganizationSettings, SignInWrites } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';
import { answerSignIn, guestLinkWrites, readSentGuest, signInConflictError, type PlannedSignIn, type SentGuest } from './identity-sign-in.js';
import { settingsOf } from './organization-settings.js';
import { newConsumerSession, type AuthSession } from './sessions.js';

const unknownCode = () => new InvalidExchangeCode('the exchange code is unknown or was already used');

/**
 * SPEC §5.2: redeems an exchange code for an authenticated session. One transaction consumes the
 * code — by one conditional write that also checks the application and, when the code is
 * browser-bound, the verifier — and writes the session, its first refresh token, the guest link and
 * their audit events (issue 12.1): a crash or failure leaves the code unused, never used up with no
 * session. A refusal is then explained from the row, without consuming it.
 */
export async function exchangeExternalCode(
  deps: FlowDeps,
  application: Application,
  input: { exchangeCode: string; codeVerifier?: string; dpopJkt?: string },
  guest?: ConsumerPrincipal,
): Promise<AuthSession> {
  const now = deps.clock.now();
  const codeHash = hashSecret(input.exchangeCode);
  const challenge =
    input.codeVerifier !== undefined && CODE_VERIFIER_PATTERN.test(input.codeVerifier) ? computeS256Challenge(input.codeVerifier) : null;
  const settings = await settingsOf(deps, application);
  const sentGuest = await readSentGuest(deps, guest);
  let planned: PlannedSignIn | undefined;
  const signIn = (redeemed: { code: ExchangeCode; consumer: Consumer | undefined; hasSessions: boolean }): SignInWrites => {
    planned = planExchangeSignIn(deps, application, settings, redeemed, sentGuest, input.dpopJkt);
    return planned.writes;
  };
  const redeemed = await deps.store
    .redeemExchangeCode({ codeHash, applicationId: application.id, codeChallenge: challenge, now, withGuest: sentGuest !== undefined }, signIn)
    .catch((error: unknown) => Promise.reject(signInConflictError(error)));
  if (!redeemed || !planned) throw await explainRefusal(deps, application, codeHash, input.codeVerifier, now);
  deps.audit.committed(planned.writes.auditEvents ?? []);
  return answerSignIn(deps, application, settings, planned, redeemed.signedIn);
}

/** What a redeemed code signs in: the consumer it names now, with the guest sent along linked (SPEC §5.4). */
function planExchangeSignIn(
  deps: FlowDeps,
  application: Application,
  settings: OrganizationSettings,
  { code, consumer, hasSessions }: { code: ExchangeCode; consumer: Consumer | undefined; hasSessions: boolean },
  guest: SentGuest | undefined,
  dpopJkt: string | undefined,
): PlannedSignIn {
  // A consumer that vanished: the code names nobody (thrown inside the transaction: nothing commits).
  if (!consumer) throw unknownCode();
  let signedIn = consumer;
  let linked;
  if (guest) {
    // SPEC §5.4 for exchanges: the identity counts as new when this code created its consumer and
    // nobody has signed in as it yet; then the guest takes it over in place (same consumerId).
    const isNew = guest.consumer.id !== consumer.id && code.resolution === 'created' && !hasSessions;
    if (isNew) signedIn = { ...guest.consumer, type: 'authenticated' };
    linked = guestLinkWrites(deps, guest.principal, signedIn, isNew ? { guestId: guest.consumer.id, action: 'merge', sourceId: consumer.id } : undefined);
  }
  const started = newConsumerSession(deps, application, signedIn, settings, 'external_exchange', dpopJkt);
  return {
    writes: {
      guest: linked?.link,
      session: { session: started.session, firstRefreshToken: started.firstRefreshToken },
      auditEvents: [...(linked?.auditEvents ?? []), started.auditEvent],
    },
    started,
    consumer: signedIn,
    guestId: linked?.guestId,
  };
}

/** Says why no code was redeemed, from the row as it is (another application's code is reported as unknown: its existence is not ours to reveal). */
async function explainRefusal(deps: FlowDeps, application: Application, codeHash: string, codeVerifier: string | undefined, now: number): Promise<Error> {
  const found = await deps.store.findExchangeCode(codeHash);
  if (!found || found.consumedAt !== null || found.applicationId !== application.id) return unknownCode();
  if (found.expiresAt <= now) return new ExchangeCodeExpired('the exchange code has expired');
  return new InvalidCodeVerifier(codeVerifier === undefined ? 'this exchange code requires codeVerifier' : 'codeVerifier does not match the codeChallenge');
}
