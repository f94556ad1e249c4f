import { ConsumerDisabled } from '../protocol/errors.js';
import { SignInConflict, type Consumer } from '../storage/store.js';

const disabled = () => new ConsumerDisabled('this account is disabled');

/**
 * SPEC §10: a disabled consumer signs in nowhere. The store refuses to write a session for one
 * (storage/sql/sign-in-writes.ts: every sign-in path writes its session there, under a lock that
 * orders it with a disable); flows call this earlier too, where a sign-in would otherwise send a code
 * or mint an exchange code first.
 */
export function refuseDisabled(consumer: Pick<Consumer, 'disabledAt'>): void {
  if (consumer.disabledAt !== null) throw disabled();
}

/** The store's refusal to start a disabled consumer's session, as the consumer API answers it; other errors pass. */
export function disabledSignInError(error: unknown): unknown {
  return isDisabledConflict(error) ? disabled() : error;
}

export function isDisabledConflict(error: unknown): boolean {
  return error instanceof SignInConflict && error.reason === 'consumer_disabled';
}
