import { ConsumerDisabled, Forbidden } from '../protocol/errors.js';
import type { Consumer, Organization, Session } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { sendLoginOtp } from './login.js';
import { findBrowserSignIn } from './oauth/end-session.js';
import { secondFactorsFor, type SecondFactorKind } from './second-factor-rule.js';
import { listPasskeys, passkeyHolder, type PasskeyHolder, type PasskeyView } from './passkeys.js';
import { describeSecondFactors, pendingTotpEnrollment, type FactorOwner, type SecondFactorList, type TotpEnrollment } from './totp.js';

/**
 * The hosted account page's person (SPEC §7, §12): whoever signed in on the hosted pages in this
 * browser — the live login session its cookie holds — with the application they signed in through
 * (whose look the page takes, and to which passkey challenges are bound).
 */
export interface BrowserAccount {
  session: Session;
  holder: PasskeyHolder;
  organization: Organization;
  /** The same person, as the TOTP flows name them. */
  owner: FactorOwner;
}

/** The browser's account, or undefined when its sign-in ended (expired, revoked, signed out, disabled, application gone). */
export async function findBrowserAccount(deps: FlowDeps, loginToken: string | undefined): Promise<BrowserAccount | undefined> {
  const session = await findBrowserSignIn(deps, loginToken);
  if (!session || session.type !== 'authenticated') return undefined;
  let holder: PasskeyHolder;
  try {
    holder = await passkeyHolder(deps, session.consumerId, session.applicationId);
  } catch (error) {
    if (error instanceof Forbidden || error instanceof ConsumerDisabled) return undefined;
    throw error;
  }
  const organization = await deps.store.getOrganization(holder.application.organizationId);
  if (!organization) return undefined;
  return { session, holder, organization, owner: { consumerId: session.consumerId, sessionType: 'authenticated', signedInAt: session.createdAt } };
}

/** What the account page lists: the person's passkeys, second factors, and a TOTP enrollment waiting for its first code (never another secret). */
export async function accountOverview(
  deps: FlowDeps,
  account: BrowserAccount,
): Promise<{ passkeys: PasskeyView[]; secondFactors: SecondFactorList; enrollment: TotpEnrollment | undefined; stepUp: SecondFactorKind[] }> {
  const consumer = (await deps.store.getConsumer(account.session.consumerId)) ?? account.holder.consumer;
  const [passkeys, secondFactors] = await Promise.all([listPasskeys(deps, consumer), describeSecondFactors(deps, consumer)]);
  const enrollment = secondFactors.isTotpEnrollmentPending ? await pendingTotpEnrollment(deps, account.owner) : undefined;
  return { passkeys, secondFactors, enrollment, stepUp: stepUpFactorsOf(consumer) };
}

/** SPEC §12 (flows/step-up.ts): the factors whose current code adding a passkey takes — none, or the person's second factors. */
const stepUpFactorsOf = (consumer: Consumer): SecondFactorKind[] => secondFactorsFor(consumer, { via: 'password' });

/** The step-up factors of the account's person, read now. */
export async function stepUpFactors(deps: FlowDeps, account: BrowserAccount): Promise<SecondFactorKind[]> {
  return stepUpFactorsOf((await deps.store.getConsumer(account.session.consumerId)) ?? account.holder.consumer);
}

/** The SMS code that proves the second factor before a passkey is added (step-up), sent to the person's phone. */
export async function sendStepUpCode(deps: FlowDeps, account: BrowserAccount): Promise<void> {
  await sendLoginOtp(deps, account.holder.application, account.session.consumerId);
}

/**
 * The account page's "Sign out": the browser's sign-in ends (with the token families it started,
 * as RP-Initiated Logout ends it — SPEC §9), and is audited.
 */
export async function signOutBrowserAccount(deps: FlowDeps, account: BrowserAccount): Promise<void> {
  const { session } = account;
  const ended = await deps.store.endBrowserSession(session.id, null, deps.clock.now());
  await deps.audit.record('logout.end_session', session.organizationId, {
    sessionId: session.id, consumerId: session.consumerId, applicationId: null, familiesRevoked: ended.familiesRevoked, via: 'account_page',
  });
}
