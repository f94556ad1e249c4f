import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';

/** SPEC §5.6: ends the session of the presented access token and its refresh-token family. */
export async function logoutConsumer(deps: FlowDeps, principal: ConsumerPrincipal): Promise<void> {
  const revoked = await deps.store.revokeSession(principal.sessionId, deps.clock.now());
  if (revoked) {
    await deps.audit.record('session.revoked', principal.organizationId, { sessionId: principal.sessionId, reason: 'logout' });
  }
}
