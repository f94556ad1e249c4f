import { generateId } from '../crypto/random.js';
import type { Application, Consumer } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { startConsumerSession, type AuthSession } from './sessions.js';

/** SPEC §5.3: a new guest consumer (no identity yet) and its session. */
export async function startGuestSession(deps: FlowDeps, application: Application): Promise<AuthSession> {
  const now = deps.clock.now();
  const consumer: Consumer = {
    id: generateId('con_', now), organizationId: application.organizationId, type: 'guest', email: null, phone: null,
    fullName: null, canonicalSubject: null, claims: {}, mergedIntoId: null, createdAt: now, updatedAt: now,
  };
  await deps.store.createConsumer(consumer);
  return startConsumerSession(deps, application, consumer, { via: 'guest' });
}
