/**
 * `latchkey/client` (SPEC §11): the browser client. ESM, no Node built-ins, no runtime dependency —
 * fetch, Web Crypto, Web Locks and BroadcastChannel are the platform's.
 */
export {
  createLatchkey, type Latchkey, type LatchkeyOptions, type OtpVerifyResult, type SecondFactorAnswer, type SessionListener, type SignInResult,
  type TotpProof,
} from './latchkey.js';
export type { PasskeySignInOptions } from './webauthn.js';
export { createOAuthClient, type AuthorizationTransaction, type OAuthClient, type OAuthClientOptions } from './oauth.js';
export { codeChallengeS256, createPkcePair } from './pkce.js';
export type { LatchkeySession } from './session.js';
export { indexedDbStore, localStorageStore, memoryStore, type TokenStore } from './storage.js';
export * from '../shared/errors.js';
export type * from '../shared/wire.js';
export type { FetchLike } from '../shared/http.js';
