import type { ConsumerPrincipal } from '../flows/authenticate-consumer.js';
import type { Application } from '../storage/store.js';

/** What middleware leaves on the request context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by requireSecretKey / requirePublishableKey. */
    application: Application;
    /** Set by requireConsumerToken. */
    principal: ConsumerPrincipal;
  };
}
