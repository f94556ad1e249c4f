import { hashSecret } from '../../crypto/hash.js';
import { InvalidRequestUri } from '../../protocol/oauth-errors.js';
import type { Application } from '../../storage/store.js';
import type { FlowDeps } from '../deps.js';

/**
 * RFC 9126 §4: the authorization request a `request_uri` stands for. The pushed request is consumed
 * at once (single use, SPEC §13) and must be unexpired and of this client; anything else is
 * `invalid_request_uri`, answered before the redirect URI is known (never a redirect). Only the
 * pushed parameters count (RFC 9126 §4 with RFC 9101 §5); the front channel adds its `client_id`
 * and may add Latchkey's `mode`, which shapes the answer, not the request.
 */
export async function redeemRequestUri(
  deps: FlowDeps,
  application: Application,
  frontChannel: Record<string, string | undefined>,
): Promise<{ params: Record<string, string | undefined>; resources: string[] }> {
  const requestUri = frontChannel.request_uri!;
  const pushed = await deps.store.consumePushedAuthorizationRequest({ requestUriHash: hashSecret(requestUri), applicationId: application.id, now: deps.clock.now() });
  if (!pushed) throw new InvalidRequestUri('request_uri is unknown, expired, already used or was pushed by another client');
  return {
    params: {
      ...pushed.parameters,
      client_id: application.publishableKey,
      ...(frontChannel.mode !== undefined ? { mode: frontChannel.mode } : {}),
    },
    resources: pushed.resources,
  };
}
