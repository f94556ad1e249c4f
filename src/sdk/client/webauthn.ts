import { WebauthnUnavailable } from '../shared/errors.js';
import { base64url } from './pkce.js';

// SPEC §12: the browser half of a passkey ceremony. The server sends the options as JSON
// (PublicKeyCredential{Request,Creation}OptionsJSON, WebAuthn L3 §5.1.8) and takes the credential
// back as JSON; browsers with `parse…OptionsFromJSON` and `toJSON()` (current Chrome, Firefox and
// Safari) convert it themselves, older ones get the few base64url fields converted here.

type Json = Record<string, any>;
type Parsers = { parseRequestOptionsFromJSON?(json: Json): PublicKeyCredentialRequestOptions; parseCreationOptionsFromJSON?(json: Json): PublicKeyCredentialCreationOptions };

/** base64url (padded or not) → bytes. */
export function fromBase64url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));
}

const descriptors = (list?: Json[]) => list?.map((descriptor) => ({ ...descriptor, id: fromBase64url(descriptor.id) }));

/** Whether this page can run passkey ceremonies; with `'conditional'`, also offer passkeys in autofill (conditional UI). */
export async function isWebAuthnAvailable(mediation?: CredentialMediationRequirement): Promise<boolean> {
  return typeof PublicKeyCredential !== 'undefined' && !!globalThis.navigator?.credentials
    && (mediation !== 'conditional' || !!(await PublicKeyCredential.isConditionalMediationAvailable?.()));
}

/** Before any request: WebauthnUnavailable unless the ceremony asked for can run here. */
export async function requireWebAuthn(mediation?: CredentialMediationRequirement): Promise<void> {
  if (!(await isWebAuthnAvailable(mediation))) {
    throw new WebauthnUnavailable('webauthn_unavailable', mediation === 'conditional' && (await isWebAuthnAvailable())
      ? 'conditional mediation (passkeys in autofill) is not available in this browser'
      : 'WebAuthn is not available on this page (an old browser, or not a secure context)');
  }
}

const P = () => PublicKeyCredential as typeof PublicKeyCredential & Parsers;

/** navigator.credentials.get for the options JSON of `/auth/passkey/options`. */
export async function getCredential(json: Json, mediation?: CredentialMediationRequirement, signal?: AbortSignal): Promise<PublicKeyCredential> {
  const publicKey = P().parseRequestOptionsFromJSON
    ? P().parseRequestOptionsFromJSON!(json)
    : ({ ...json, challenge: fromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) } as any);
  return (await navigator.credentials.get({ publicKey, ...(mediation ? { mediation } : {}), ...(signal ? { signal } : {}) })) as PublicKeyCredential;
}

/** navigator.credentials.create for the options JSON of `…/passkeys/registration/options`. */
export async function createCredential(json: Json, signal?: AbortSignal): Promise<PublicKeyCredential> {
  const publicKey = P().parseCreationOptionsFromJSON
    ? P().parseCreationOptionsFromJSON!(json)
    : ({ ...json, challenge: fromBase64url(json.challenge), user: { ...json.user, id: fromBase64url(json.user.id) }, excludeCredentials: descriptors(json.excludeCredentials) } as any);
  return (await navigator.credentials.create({ publicKey, ...(signal ? { signal } : {}) })) as PublicKeyCredential;
}

/**
 * The credential as JSON (AuthenticationResponseJSON / RegistrationResponseJSON): `toJSON()` where
 * the browser has it, else its fields encoded here. A null `authenticatorAttachment` is left out.
 */
export function credentialToJSON(credential: PublicKeyCredential): Json {
  let json: Json;
  if (typeof credential.toJSON === 'function') {
    json = credential.toJSON() as Json;
  } else {
    const r = credential.response as AuthenticatorResponse & Json;
    const response: Json = { clientDataJSON: base64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = base64url(r.attestationObject);
      response.transports = r.getTransports?.() ?? [];
    } else {
      response.authenticatorData = base64url(r.authenticatorData);
      response.signature = base64url(r.signature);
      if (r.userHandle) response.userHandle = base64url(r.userHandle);
    }
    json = {
      id: credential.id, rawId: base64url(credential.rawId), type: credential.type, response,
      authenticatorAttachment: credential.authenticatorAttachment, clientExtensionResults: credential.getClientExtensionResults(),
    };
  }
  if (json.authenticatorAttachment == null) delete json.authenticatorAttachment;
  return json;
}
