import { generateId } from '../crypto/random.js';
import type { Application, AuditEvent, Session, SignInWrites } from '../storage/store.js';
import { disabledSignInError } from './consumer-status.js';
import type { FlowDeps } from './deps.js';
import { signLoginToken } from './oauth/tokens.js';
import { settingsOf } from './organization-settings.js';

/** A login session (SPEC §6.2) not yet written: its row and its `login.succeeded` event. */
export interface NewLoginSession {
  session: Session;
  auditEvent: AuditEvent;
}

/** Builds, without writing, a login session of `consumerId` on `application`. */
export function newLoginSession(deps: FlowDeps, application: Application, consumerId: string): NewLoginSession {
  const now = deps.clock.now();
  const session: Session = {
    id: generateId('ses_', now), organizationId: application.organizationId, applicationId: application.id, consumerId, type: 'authenticated',
    kind: 'login', grantId: null, scope: null, codeHash: null, createdAt: now, revokedAt: null,
  };
  return { session, auditEvent: deps.audit.prepare('login.succeeded', application.organizationId, { consumerId, applicationId: application.id, sessionId: session.id }) };
}

/** What a login session writes, for the transaction that consumes the code it comes from (issue 12.1). */
export function loginSessionWrites(started: NewLoginSession): SignInWrites {
  return { session: { session: started.session, firstRefreshToken: null }, auditEvents: [started.auditEvent] };
}

/** Signs the 6-hour login token of a login session that was written. */
export async function answerLoginSession(deps: FlowDeps, application: Application, started: NewLoginSession): Promise<string> {
  const settings = await settingsOf(deps, application);
  deps.metrics.tokenIssued('login');
  return signLoginToken(deps, started.session, application, settings.loginTokenTtlSeconds);
}

/** Opens a login session that no one-time code is redeemed for (a right password): the session and its event in one transaction. */
export async function startLoginSession(deps: FlowDeps, application: Application, consumerId: string): Promise<string> {
  const started = newLoginSession(deps, application, consumerId);
  await deps.store.startSession(started.session, null, [started.auditEvent]).catch((error: unknown) => Promise.reject(disabledSignInError(error)));
  deps.audit.committed([started.auditEvent]);
  return answerLoginSession(deps, application, started);
}
