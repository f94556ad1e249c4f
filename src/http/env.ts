import type { AdminPrincipal } from '../flows/admin-principal.js';
import type { ConsumerPrincipal } from '../flows/authenticate-consumer.js';
import type { BearerPrincipal } from '../flows/oauth/tokens.js';
import type { Application } from '../flows/domain.js';

/** What middleware leaves on the request context for handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by requireSecretKey / requirePublishableKey. */
    application: Application;
    /** Set by requireConsumerToken. */
    principal: ConsumerPrincipal;
    /** Set by acceptGuestToken when the request carries a live guest session of the same organization. */
    guest: ConsumerPrincipal | undefined;
    /** Set by requireBearer: a verified login token or OAuth access token with a live session. */
    bearer: BearerPrincipal;
    /** Set by requireAdminToken (admin listener, SPEC §10): the admin token of the request. */
    admin: AdminPrincipal;
  };
}
