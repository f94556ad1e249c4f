import type { CDPSession, Page } from 'playwright-core';

/**
 * Chromium's virtual authenticator (DevTools protocol, WebAuthn domain) attached to a page: a
 * platform authenticator (CTAP2, internal transport) that keeps discoverable credentials and does
 * user verification, answering without a prompt. WebAuthn needs a secure context and an RP ID that
 * is a domain: pages under test are served from http://localhost, never from an IP address.
 */
export interface VirtualAuthenticator {
  readonly id: string;
  /** The credentials it holds (private keys included, as the protocol gives them). */
  credentials(): Promise<VirtualCredential[]>;
  /** Whether the next ceremonies report user verification (the UV flag). */
  setUserVerified(isUserVerified: boolean): Promise<void>;
  /** Puts a credential into it, e.g. a copy of another authenticator's with an older sign count. */
  addCredential(credential: VirtualCredential): Promise<void>;
  remove(): Promise<void>;
}

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

export async function addVirtualAuthenticator(page: Page, options: { isUserVerified?: boolean } = {}): Promise<VirtualAuthenticator> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true, automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[],
    setUserVerified: async (isUserVerified) => void (await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified })),
    addCredential: async (credential) => void (await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })),
    remove: async () => void (await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })),
  };
}
