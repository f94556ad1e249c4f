import * as v from 'valibot';
import { PASSKEY_NAME_MAX_LENGTH } from '../../protocol/webauthn.js';
import { IsoTime, rule, text } from './common.js';
import { answers, recoveryCode, sixDigits } from './second-factor.js';
import { LoginSecondFactorFields } from './login.js';

// SPEC §12: the JSON forms of WebAuthn credentials (WebAuthn L3 §5.1.8 `toJSON()`, and what
// @simplewebauthn/browser returns). Only shapes and sizes are checked here; every byte is read and
// verified by @simplewebauthn/server in the flows.

/** base64url without padding (WebAuthn L3 §5.1.8), at most `maxLength` characters. */
const base64url = (maxLength: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(maxLength), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding'));

/** WebAuthn L3 §5.1: a credential id is at most 1023 bytes (1364 base64url characters). */
const CredentialId = base64url(1364);
const ClientDataJSON = base64url(8192);
const Transports = v.pipe(v.array(text(1, 32)), v.maxLength(16));
const Attachment = v.picklist(['platform', 'cross-platform']);
const ExtensionResults = v.optional(v.record(v.string(), v.unknown()), {});

/** The answer of `navigator.credentials.get()`, as JSON (AuthenticationResponseJSON). */
export const AuthenticationCredential = v.object({
  id: CredentialId,
  rawId: CredentialId,
  type: v.literal('public-key'),
  response: v.object({
    clientDataJSON: ClientDataJSON,
    authenticatorData: base64url(8192),
    signature: base64url(2048),
    userHandle: v.optional(v.pipe(v.string(), v.maxLength(128), v.regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding'))),
  }),
  authenticatorAttachment: v.optional(Attachment),
  clientExtensionResults: ExtensionResults,
});

/** The answer of `navigator.credentials.create()`, as JSON (RegistrationResponseJSON). */
export const RegistrationCredential = v.object({
  id: CredentialId,
  rawId: CredentialId,
  type: v.literal('public-key'),
  response: v.object({
    clientDataJSON: ClientDataJSON,
    attestationObject: base64url(65536),
    authenticatorData: v.optional(base64url(65536)),
    transports: v.optional(Transports),
    publicKeyAlgorithm: v.optional(v.number()),
    publicKey: v.optional(base64url(8192)),
  }),
  authenticatorAttachment: v.optional(Attachment),
  clientExtensionResults: ExtensionResults,
});

const PasskeyName = v.pipe(text(1, PASSKEY_NAME_MAX_LENGTH), v.trim(), v.minLength(1, 'name must not be blank'));

/** POST /auth/passkey/verify. */
export const PasskeySignInBody = v.object({ credential: AuthenticationCredential });

/** POST /v1/auth/passkey/verify: as §6.2, a second factor may come along (otpCode, totpCode or recoveryCode). */
export const PasskeyLoginBody = v.object({
  credential: AuthenticationCredential,
  ...LoginSecondFactorFields,
});

/** …/passkeys/registration/verify. */
/**
 * …/passkeys/registration/verify. SPEC §12: a person with a second factor proves it here too (one of
 * `code`, `totpCode`, `recoveryCode`), or the passkey would be a way around it (403 step_up_required).
 */
export const PasskeyRegistrationBody = v.pipe(
  v.object({
    credential: RegistrationCredential, name: v.optional(PasskeyName),
    code: v.optional(sixDigits('code')), totpCode: v.optional(sixDigits('totpCode')), recoveryCode: v.optional(recoveryCode),
  }),
  rule((input) => answers(input) <= 1, 'send at most one of code, totpCode or recoveryCode', 'at most one of code, totpCode, recoveryCode'),
);

/** PATCH …/passkeys/:passkeyId. */
export const PasskeyRenameBody = v.object({ name: PasskeyName });

/** The options of a ceremony, for `navigator.credentials.get()` / `.create()` (PublicKeyCredential*OptionsJSON). */
export const PasskeyOptionsBody = v.object({
  options: v.pipe(v.looseObject({ challenge: v.string(), rpId: v.optional(v.string()), timeout: v.optional(v.number()) }), v.description('pass to @simplewebauthn/browser startAuthentication / startRegistration as optionsJSON, or to PublicKeyCredential.parse…OptionsFromJSON')),
  expiresAt: v.pipe(IsoTime, v.description('the challenge is single use and dies here (5 minutes)')),
});

/** A passkey as the APIs show it (never its public key). */
export const PasskeyBody = v.object({
  id: v.string(),
  name: v.string(),
  credentialId: v.pipe(v.string(), v.description('base64url; for PublicKeyCredential.signalAllAcceptedCredentials')),
  deviceType: v.picklist(['singleDevice', 'multiDevice']),
  backedUp: v.boolean(),
  transports: v.array(v.string()),
  createdAt: IsoTime,
  lastUsedAt: v.nullable(IsoTime),
});

export const PasskeyListBody = v.object({ passkeys: v.array(PasskeyBody) });
