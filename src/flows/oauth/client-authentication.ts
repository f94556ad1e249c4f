import { InvalidClient } from '../../protocol/oauth-errors.js';
import type { Application } from '../../storage/store.js';
import { findApplicationByPublishableKey, findApplicationWithSecretKey } from '../applications.js';
import type { FlowDeps } from '../deps.js';

/** What the request presented, already parsed by http/ (Basic, body parameters or headers). */
export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** True when the secret came in HTTP Basic: a failure then answers `WWW-Authenticate: Basic`. */
  usedBasic: boolean;
}

export interface AuthenticatedClient {
  application: Application;
  /** The client proved its secret (confidential clients always must). */
  hasSecret: boolean;
}

/**
 * RFC 6749 §2.3 / §3.2.1: identifies the client and checks its secret. Confidential applications
 * must present their secret key; public ones are identified by client id alone (PKCE protects
 * them). Failures are 401 invalid_client (RFC 6749 §5.2).
 */
export async function authenticateClient(deps: FlowDeps, credentials: ClientCredentials): Promise<AuthenticatedClient> {
  const fail = (message: string) => new InvalidClient(message, { usedBasic: credentials.usedBasic });
  if (!credentials.clientId) throw fail('client authentication failed: no client_id');
  if (credentials.clientSecret !== undefined) {
    // One lookup: the client, and whether the secret (by its SHA-256) is one of its live secrets.
    const found = await findApplicationWithSecretKey(deps, credentials.clientId, credentials.clientSecret);
    if (!found) throw fail('client authentication failed: unknown client');
    if (!found.secretMatches) throw fail('client authentication failed');
    return { application: found.application, hasSecret: true };
  }
  const application = await findApplicationByPublishableKey(deps, credentials.clientId);
  if (!application) throw fail('client authentication failed: unknown client');
  if (application.type === 'confidential') throw fail('client authentication failed: confidential clients must send their secret');
  return { application, hasSecret: false };
}
