import type { Application } from '../storage/store.js';
import type { FlowDeps } from './deps.js';
import { newConsumer } from './new-consumer.js';
import { startConsumerSession, type AuthSession } from './sessions.js';

/** SPEC §5.3: a new guest consumer (no identity yet) and its session. */
export async function startGuestSession(deps: FlowDeps, application: Application, options: { dpopJkt?: string } = {}): Promise<AuthSession> {
  const now = deps.clock.now();
  const consumer = newConsumer(application, 'guest', now);

  await deps.store.createConsumer(consumer);
  return startConsumerSession(deps, application, consumer, { via: 'guest', ...options });
}
