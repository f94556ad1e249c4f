import type { Consumer } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

/** A change to how a person signs in, which they are told about by email. */
export type SecurityChange = 'passkey_added' | 'passkey_removed' | 'totp_enabled' | 'totp_removed' | 'recovery_codes_regenerated';

const WHAT: Record<SecurityChange, { subject: string; happened: string }> = {
  passkey_added: { subject: 'A passkey was added to your account', happened: 'A new passkey was added to your account. It signs in without a password.' },
  passkey_removed: { subject: 'A passkey was removed from your account', happened: 'A passkey was removed from your account.' },
  totp_enabled: { subject: 'An authenticator app now protects your account', happened: 'An authenticator app was set up as the second factor of your account. Signing in now takes its code.' },
  totp_removed: { subject: 'The authenticator app was removed from your account', happened: 'The authenticator app was removed from your account, with its recovery codes.' },
  recovery_codes_regenerated: { subject: 'New recovery codes for your account', happened: 'New recovery codes were made for your account; the old ones no longer work.' },
};

/**
 * Tells the person, by email, that a sign-in method was added or removed (review of issue 18): a
 * token stolen minutes after a sign-in can still add a passkey or turn on a first authenticator app
 * and lock the owner out; the notice is how the owner learns of it, and it points at the account
 * page and the operator who can undo it. Best effort, after the change committed: the answer never
 * waits for the mail server, and a failure is a log line (no secret in the message or the line).
 * A person without an email address gets none.
 */
export function notifySecurityChange(deps: FlowDeps, consumer: Consumer, change: SecurityChange): void {
  if (!consumer.email) return;
  const { subject, happened } = WHAT[change];
  const when = new Date(deps.clock.now()).toISOString().replace(/\.\d+Z$/, ' UTC').replace('T', ' ');
  const text = `${happened}\n\nWhen: ${when}\n\nIf this was you, there is nothing to do. If it was not, someone else may be signed in as you: review your passkeys and authenticator app at ${deps.issuer}/account, change your password, and contact the support of the service you use, who can remove a sign-in method for you.`;
  void deps.delivery
    .send({ type: 'security_notice', organizationId: consumer.organizationId, channel: 'email', to: consumer.email, subject, text })
    .catch((error: unknown) => deps.logger.warn({ consumerId: consumer.id, change, err: error instanceof Error ? error.message : String(error) }, 'a security notice could not be sent'));
}
