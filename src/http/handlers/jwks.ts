import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import type { AppEnv } from '../env.js';

/** GET /.well-known/jwks.json — every key that may still verify a live token (SPEC §4). */
export const jwks = (deps: FlowDeps, maxAgeSeconds: number): Handler<AppEnv> => async (c) => {
  // Verifiers may cache no longer than a new key takes to start signing (LATCHKEY_KEY_CACHE_SECONDS).
  c.header('Cache-Control', `public, max-age=${maxAgeSeconds}`);
  return c.json(await deps.keyring.publicJwks());
};
