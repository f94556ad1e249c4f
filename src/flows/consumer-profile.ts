import { toIsoTime } from '../protocol/clock.js';
import { AuthenticationRequired } from '../protocol/errors.js';
import type { ExternalIdentity } from '../storage/store.js';
import type { ConsumerPrincipal } from './authenticate-consumer.js';
import type { FlowDeps } from './deps.js';

/** SPEC §5.7 response. */
export interface ConsumerProfile {
  id: string;
  type: 'guest' | 'authenticated';
  email?: string;
  phone?: string;
  fullName?: string;
  createdAt: string;
  identities: ExternalIdentity[];
}

/** The signed-in consumer's own record. */
export async function getConsumerProfile(deps: FlowDeps, principal: ConsumerPrincipal): Promise<ConsumerProfile> {
  const [consumer, identities] = await Promise.all([
    deps.store.getConsumer(principal.consumerId),
    deps.store.listExternalIdentities(principal.consumerId),
  ]);
  if (!consumer) throw new AuthenticationRequired('the consumer of this access token no longer exists');
  return {
    id: consumer.id,
    type: consumer.type,
    ...(consumer.email ? { email: consumer.email } : {}),
    ...(consumer.phone ? { phone: consumer.phone } : {}),
    ...(consumer.fullName ? { fullName: consumer.fullName } : {}),
    createdAt: toIsoTime(consumer.createdAt),
    identities,
  };
}
