import { InvalidToken } from '../../protocol/oauth-errors.js';
import type { FlowDeps } from '../deps.js';
import type { BearerPrincipal } from './tokens.js';

/** SPEC §6.7 response. */
export interface UserInfo {
  id: string;
  email: string | null;
  firstName?: string;
  lastName?: string;
  phoneNumber?: string;
}

/**
 * SPEC §6.7: the user behind a login token or an OAuth access token. A login token is the user
 * themself and sees everything; an OAuth token sees the email with the `email` scope, the names with
 * `profile` and the phone with `phone` — `id` always. The name is stored whole: `firstName` is its
 * first word and `lastName` the rest.
 */
export async function getUserInfo(deps: FlowDeps, principal: BearerPrincipal): Promise<UserInfo> {
  if (!principal.session) throw new InvalidToken('this token speaks for an application, not a user');
  const consumer = await deps.store.getConsumer(principal.session.consumerId);
  if (!consumer) throw new InvalidToken('the user of this token no longer exists');
  const scopes = principal.kind === 'login' ? undefined : (principal.payload.scope ?? '').split(' ');
  const may = (scope: string) => scopes === undefined || scopes.includes(scope);
  const [firstName, ...rest] = may('profile') ? (consumer.fullName ?? '').trim().split(/\s+/).filter(Boolean) : [];
  return {
    id: consumer.id,
    email: may('email') ? consumer.email : null,
    ...(firstName ? { firstName } : {}),
    ...(rest.length > 0 ? { lastName: rest.join(' ') } : {}),
    ...(consumer.phone && may('phone') ? { phoneNumber: consumer.phone } : {}),
  };
}
