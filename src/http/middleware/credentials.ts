import type { Context, MiddlewareHandler } from 'hono';
import { findApplicationByPublishableKey, findApplicationBySecretKey } from '../../flows/applications.js';
import { authenticateConsumerToken } from '../../flows/authenticate-consumer.js';
import type { FlowDeps } from '../../flows/deps.js';
import { AuthenticationRequired, Forbidden, InvalidApiKey } from '../../protocol/errors.js';
import { checkConsumerDpop, readAuthorization } from '../dpop-resource.js';
import type { AppEnv } from '../env.js';

// SPEC §2: which credential an endpoint takes, and 401 (missing or unknown) versus 403 (valid but of
// the wrong kind). Authorization: Bearer carries either a secret key (sk_ prefix) or a JWT.

function bearer(c: Context): string | undefined {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

/** A consumer access token as `Authorization: Bearer` or, for a DPoP-bound session, `Authorization: DPoP` (RFC 9449 §7.1). */
function consumerTokenOf(c: Context): { scheme: 'Bearer' | 'DPoP'; token: string } | undefined {
  const presented = readAuthorization(c);
  return presented?.scheme === 'DPoP' && presented.token.startsWith('sk_') ? undefined : presented;
}

function secretKeyOf(c: Context): string | undefined {
  const fromBearer = bearer(c);
  const fromHeader = c.req.header('x-secret-key');
  if (fromBearer?.startsWith('sk_') && fromHeader && fromHeader !== fromBearer) {
    throw new InvalidApiKey('Authorization and x-secret-key carry different secret keys');
  }
  return fromHeader ?? (fromBearer?.startsWith('sk_') ? fromBearer : undefined);
}

function publishableKeyOf(c: Context): string | undefined {
  const a = c.req.header('x-publishable-key');
  const b = c.req.header('x-client-key');
  if (a && b && a !== b) throw new InvalidApiKey('X-Publishable-Key and x-client-key carry different keys');
  return a ?? b;
}

// SPEC §2: a publishable key is never a bearer credential. `Bearer pk_…` is a credential of the
// wrong kind — 403 naming the header that takes it — not a bad access token.
const PUBLISHABLE_KEY_HEADER = 'a publishable key is sent as X-Publishable-Key (or x-client-key), not as Authorization: Bearer';

/** 403 for `Bearer pk_…` once the key is known to be one (an unknown key stays 401, like any other). */
async function refusePublishableBearer(deps: FlowDeps, c: Context, needed?: string): Promise<void> {
  const token = bearer(c);
  if (!token?.startsWith('pk_')) return;
  await applicationOfPublishableKey(deps, token);
  throw new Forbidden(needed ? `${PUBLISHABLE_KEY_HEADER}; ${needed}` : PUBLISHABLE_KEY_HEADER);
}

async function applicationOfSecretKey(deps: FlowDeps, secretKey: string) {
  const application = await findApplicationBySecretKey(deps, secretKey);
  if (!application) throw new InvalidApiKey('unknown secret key');
  return application;
}

async function applicationOfPublishableKey(deps: FlowDeps, publishableKey: string) {
  const application = await findApplicationByPublishableKey(deps, publishableKey);
  if (!application) throw new InvalidApiKey('unknown publishable key');
  // SPEC §13: a client nobody registered by hand gets the OAuth code flow on the hosted pages only —
  // never the consumer API or API mode, where it would see the person's password or skip consent.
  if (application.registration !== 'manual') throw new InvalidApiKey('this client may only use the OAuth authorization code flow through the hosted pages');
  return application;
}

/** Endpoints for merchant backends: `Authorization: Bearer sk_…` or `x-secret-key`. */
export function requireSecretKey(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await refusePublishableBearer(deps, c, 'this endpoint needs a secret key (Authorization: Bearer sk_… or x-secret-key)');
    const secretKey = secretKeyOf(c);
    const publishableKey = publishableKeyOf(c);
    if (!secretKey) {
      const token = bearer(c);
      if (publishableKey) {
        await applicationOfPublishableKey(deps, publishableKey);
        throw new Forbidden('this endpoint needs a secret key; a publishable key is not enough');
      }
      if (token) {
        await authenticateConsumerToken(deps, token);
        throw new Forbidden('this endpoint needs a secret key; a consumer access token is not enough');
      }
      throw new AuthenticationRequired('send the secret key as Authorization: Bearer sk_… or x-secret-key');
    }
    const application = await applicationOfSecretKey(deps, secretKey);
    // SPEC §2: a request carrying both keys must carry keys of one application.
    if (publishableKey && (await applicationOfPublishableKey(deps, publishableKey)).id !== application.id) {
      throw new Forbidden('the publishable key and the secret key belong to different applications');
    }
    c.set('application', application);
    await next();
  };
}

/** Endpoints for browsers and apps: `X-Publishable-Key` or `x-client-key`. */
export function requirePublishableKey(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await refusePublishableBearer(deps, c);
    const publishableKey = publishableKeyOf(c);
    const secretKey = secretKeyOf(c);
    if (!publishableKey) {
      if (secretKey) {
        await applicationOfSecretKey(deps, secretKey);
        throw new Forbidden('this endpoint takes the publishable key (X-Publishable-Key), not a secret key');
      }
      const token = bearer(c);
      if (token) {
        try {
          await authenticateConsumerToken(deps, token);
        } catch (error) {
          throw withBearerChallenge(error, 'invalid_token');
        }
        throw new Forbidden('this endpoint takes the publishable key (X-Publishable-Key); an access token alone is not enough');
      }
      throw new AuthenticationRequired('send the publishable key as X-Publishable-Key or x-client-key');
    }
    const application = await applicationOfPublishableKey(deps, publishableKey);
    if (secretKey && (await applicationOfSecretKey(deps, secretKey)).id !== application.id) {
      throw new Forbidden('the publishable key and the secret key belong to different applications');
    }
    c.set('application', application);
    await next();
  };
}

/** Endpoints acting for a signed-in consumer: `Authorization: Bearer <access token>`. */
export function requireConsumerToken(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await refusePublishableBearer(deps, c, 'this endpoint takes a consumer access token');
    const presented = consumerTokenOf(c);
    const token = presented?.token;
    const secretKey = secretKeyOf(c);
    if (secretKey) {
      await applicationOfSecretKey(deps, secretKey);
      throw new Forbidden('this endpoint takes a consumer access token, not a secret key');
    }
    if (!token) {
      const publishableKey = publishableKeyOf(c);
      if (publishableKey) {
        await applicationOfPublishableKey(deps, publishableKey);
        throw new Forbidden('this endpoint takes a consumer access token, not a publishable key');
      }
      throw withBearerChallenge(new AuthenticationRequired('send the access token as Authorization: Bearer <token>'), undefined);
    }
    let principal;
    try {
      principal = await authenticateConsumerToken(deps, token);
    } catch (error) {
      throw withBearerChallenge(error, 'invalid_token');
    }
    // RFC 9449 §7.1: the token of a DPoP-bound session needs a proof by its key.
    await checkConsumerDpop(deps, c, principal, presented!);
    c.set('principal', principal);
    await next();
  };
}

/** RFC 6750 §3: a 401 to a bearer-token request names the scheme (and the error, if a token was sent). */
function withBearerChallenge(error: unknown, code: string | undefined): unknown {
  if (error instanceof AuthenticationRequired) {
    error.headers['WWW-Authenticate'] = code ? `Bearer realm="latchkey", error="${code}"` : 'Bearer realm="latchkey"';
  }
  return error;
}

/**
 * For publishable-key endpoints that link guests (SPEC §5.4): an access token sent along as
 * `Authorization: Bearer` must be valid (else 401); when it is a guest session of the same
 * application it is put on the context as `guest`, any other session is ignored.
 */
export function acceptGuestToken(deps: FlowDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = consumerTokenOf(c);
    const token = presented?.token;
    if (token && !token.startsWith('sk_')) {
      let principal;
      try {
        principal = await authenticateConsumerToken(deps, token);
      } catch (error) {
        throw withBearerChallenge(error, 'invalid_token');
      }
      // RFC 9449 §7.1: a guest's bound token is linked only with a proof by its key.
      await checkConsumerDpop(deps, c, principal, presented!);
      // A guest belongs to the application it was created for (its token's `aud`): linking it
      // through another application, possibly of the other environment, is refused by ignoring it.
      const isGuest = principal.sessionType === 'guest' && principal.applicationId === c.get('application').id;
      c.set('guest', isGuest ? principal : undefined);
    }
    await next();
  };
}
