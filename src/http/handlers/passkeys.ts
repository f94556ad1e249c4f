import type { Context, Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { stepUpProofOf } from './second-factors.js';
import { loginWithPasskey, passkeySignInOptions, signInWithPasskey } from '../../flows/passkey-sign-in.js';
import {
  holderOfConsumerToken, holderOfLoginToken, listPasskeys, passkeyRegistrationOptions, registerPasskey, removePasskey, renamePasskey, type PasskeyHolder,
} from '../../flows/passkeys.js';
import type { AppEnv } from '../env.js';
import { PasskeyLoginBody, PasskeyRegistrationBody, PasskeyRenameBody, PasskeySignInBody } from '../schemas/passkeys.js';
import { parseJsonBody } from '../validate.js';

// SPEC §12 passkeys. Sign-in: the consumer API (publishable key → AuthSession) and API mode (client
// key → login token). Management: the consumer API (consumer access token) and API mode (login
// token) share one set of handlers over the holder each credential names.

/** POST /auth/passkey/options and /v1/auth/passkey/options: a discoverable-credential sign-in's options. */
export const passkeyOptions = (deps: FlowDeps): Handler<AppEnv> => async (c) => c.json(await passkeySignInOptions(deps, c.get('application')));

/** POST /auth/passkey/verify: an AuthSession as /auth/otp/verify gives (a guest token sent along is linked). */
export const passkeyVerify = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(PasskeySignInBody, await c.req.text());
  return c.json(await signInWithPasskey(deps, c.get('application'), body.credential, c.get('guest')));
};

/** POST /v1/auth/passkey/verify: a login token as /v1/auth/login answers it. */
export const passkeyLogin = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(PasskeyLoginBody, await c.req.text());
  const { credential, ...secondFactor } = body;
  return c.json(await loginWithPasskey(deps, c.get('application'), { response: credential, ...secondFactor }));
};

type HolderOf = (deps: FlowDeps, c: Context<AppEnv>) => Promise<PasskeyHolder>;

/** The person a consumer access token speaks for (consumer API). */
export const consumerTokenHolder: HolderOf = (deps, c) => holderOfConsumerToken(deps, c.get('principal'));
/** The person a login token speaks for (API mode). */
export const loginTokenHolder: HolderOf = (deps, c) => holderOfLoginToken(deps, c.get('bearer'));

/** The management handlers of the passkeys of whoever `holderOf` reads from the request. */
export function passkeyManagement(deps: FlowDeps, holderOf: HolderOf): Record<'list' | 'registrationOptions' | 'registrationVerify' | 'rename' | 'remove', Handler<AppEnv>> {
  return {
    list: async (c) => c.json({ passkeys: await listPasskeys(deps, (await holderOf(deps, c)).consumer) }),
    registrationOptions: async (c) => c.json(await passkeyRegistrationOptions(deps, await holderOf(deps, c))),
    registrationVerify: async (c) => {
      const body = parseJsonBody(PasskeyRegistrationBody, await c.req.text());
      const { credential, name, ...proof } = body;
      return c.json(await registerPasskey(deps, await holderOf(deps, c), { response: credential, name, proof: stepUpProofOf(proof) }), 201);
    },
    rename: async (c) => {
      const body = parseJsonBody(PasskeyRenameBody, await c.req.text());
      return c.json(await renamePasskey(deps, await holderOf(deps, c), c.req.param('passkeyId')!, body.name));
    },
    remove: async (c) => {
      const holder = await holderOf(deps, c);
      await removePasskey(deps, holder.consumer, c.req.param('passkeyId')!, { application: holder.application });
      return c.body(null, 204);
    },
  };
}
