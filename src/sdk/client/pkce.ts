/** base64url without padding (RFC 7636 Appendix A; WebAuthn L3 §5.1.8). */
export function base64url(data: Uint8Array | ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(data)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 256 random bits, base64url: 43 characters (RFC 7636 §4.1 verifier; also used for `state`). */
export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallengeS256(codeVerifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))));
}

/** A verifier and its challenge, e.g. for SPEC §5.1's browser-bound exchange code. */
export async function createPkcePair(): Promise<{ codeVerifier: string; codeChallenge: string }> {
  const codeVerifier = randomToken();
  return { codeVerifier, codeChallenge: await codeChallengeS256(codeVerifier) };
}
