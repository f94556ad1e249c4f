import { Forbidden } from '../protocol/errors.js';
import type { Application, Consumer, Session, UserPool } from '../storage/store.js';
import type { FlowDeps } from './deps.js';

// SPEC §1: test and live are separate worlds inside an organization. The store scopes every lookup
// of a consumer by identity, canonical subject or email to one pool; these checks cover the places
// where a consumer or a session arrives by id instead (a user id in a request, a browser's
// sign-in cookie) and meets an application.

/** True when the consumer lives in the pool (organization and environment) of `pool`. */
export function isInPool(consumer: Consumer, pool: UserPool): boolean {
  return consumer.organizationId === pool.organizationId && consumer.environment === pool.environment;
}

/**
 * The last guard before a session is written: a consumer never gets a session, grant or code of an
 * application of another organization or environment. Every flow resolves consumers in the
 * application's pool first, so this never fires unless one of them is wrong.
 */
export function requireInPool(consumer: Consumer, application: Application): void {
  if (!isInPool(consumer, application)) throw new Forbidden(`this account belongs to another environment than ${application.environment}`);
}

/**
 * Whether a sign-in (a login session of some application) may act for `application`: same
 * organization and same environment. Single sign-on on the hosted pages spans the applications of
 * one organization and environment only (SPEC §7).
 */
export async function isSessionInPool(deps: FlowDeps, session: Session, application: Application): Promise<boolean> {
  if (session.organizationId !== application.organizationId) return false;
  if (session.applicationId === application.id) return true;
  const origin = await deps.store.getApplication(session.applicationId);
  return origin?.environment === application.environment;
}
