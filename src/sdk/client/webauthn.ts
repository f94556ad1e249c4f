import { WebauthnUnavailable } from '../shared/errors.js';
import type { PasskeyOptions } from '../shared/wire.js';
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

export interface PasskeySignInOptions {
  /** `'conditional'`: offer passkeys in the autofill of an `<input autocomplete="username webauthn">` (conditional UI); the promise waits for the person's choice. */
  mediation?: CredentialMediationRequirement;
  /** Aborts the options request and the ceremony (e.g. a conditional request, when the person signs in another way). */
  signal?: AbortSignal;
}

/**
 * A sign-in ceremony: options from the server (`fetchOptions`), navigator.credentials.get, the
 * assertion as JSON. A conditional request waits as long as the page is open, but its challenge
 * lives 5 minutes (`timeout`): it is renewed 15 s before (half-way, for a short one), so a passkey
 * picked later still verifies.
 */
export async function signedAssertion({ mediation, signal }: PasskeySignInOptions, fetchOptions: (signal?: AbortSignal) => Promise<PasskeyOptions>): Promise<Json> {
  await requireWebAuthn(mediation);
  for (;;) {
    const { options } = await fetchOptions(signal);
    signal?.throwIfAborted();
    const ceremony = new AbortController();
    const stop = () => ceremony.abort(signal!.reason);
    signal?.addEventListener('abort', stop);
    const timeout = options.timeout ?? 3e5;
    const renew = mediation === 'conditional' ? setTimeout(() => ceremony.abort(), Math.max(timeout - 15e3, timeout / 2)) : undefined;
    try {
      const publicKey = P().parseRequestOptionsFromJSON
        ? P().parseRequestOptionsFromJSON!(options)
        : ({ ...options, challenge: fromBase64url(options.challenge), allowCredentials: descriptors(options.allowCredentials as Json[]) } as any);
      return credentialToJSON((await navigator.credentials.get({ publicKey, ...(mediation ? { mediation } : {}), signal: ceremony.signal })) as PublicKeyCredential);
    } catch (error) {
      if (ceremony.signal.aborted && !signal?.aborted) continue;
      throw error;
    } finally {
      clearTimeout(renew);
      signal?.removeEventListener('abort', stop);
    }
  }
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
