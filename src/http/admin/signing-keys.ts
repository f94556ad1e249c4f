import * as v from 'valibot';
import { assertAllOrganizations, auditActor } from '../../flows/admin-principal.js';
import type { FlowDeps } from '../../flows/deps.js';
import { describeRotation, listSigningKeys, rotateSigningKey } from '../../flows/rotate-signing-key.js';
import type { Route } from '../route.js';
import { ADMIN_RESPONSES, ADMIN_TAG, NullableTime } from './common.js';
import { pageBodySchema } from './paging.js';

export const SigningKeyBody = v.object({
  kid: v.string(),
  algorithm: v.picklist(['EdDSA', 'RS256']),
  createdAt: v.string(),
  activatesAt: v.string(),
  retiresAt: NullableTime,
});
const RotationBody = v.object({ kid: v.string(), idTokenKid: v.string(), publishedAt: v.string(), signsFrom: v.string(), previousKeysRetireAt: v.string() });
const { 401: unauthorized, 403: forbidden, 500: internalError } = ADMIN_RESPONSES;

/**
 * Signing keys (SPEC §4, §10). They serve every organization: any admin token may list them (their
 * public halves are in the JWKS anyway; the private half is never shown); only an all-organizations
 * token rotates them.
 */
export function signingKeyRoutes(deps: FlowDeps): Route[] {
  return [
    {
      method: 'GET', path: '/admin/v1/signing-keys', isBrowserFacing: false, middleware: [],
      // A handful of keys: one page, always (nextCursor null), in the shape of every list.
      handler: async (c) => c.json({ data: await listSigningKeys(deps), nextCursor: null }),
      doc: {
        operationId: 'adminListSigningKeys', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Every signing key, retired ones included, newest first: kid, algorithm, created, signs from, retires (never private material)',
        responses: { 200: { description: 'All keys (one page)', schema: pageBodySchema(SigningKeyBody) }, 401: unauthorized, 500: internalError },
      },
    },
    {
      method: 'POST', path: '/admin/v1/signing-keys/rotate', isBrowserFacing: false, middleware: [],
      handler: async (c) => {
        const principal = c.get('admin');
        assertAllOrganizations(principal, 'rotate the signing keys');
        return c.json(describeRotation(await rotateSigningKey(deps, auditActor(principal))));
      },
      doc: {
        operationId: 'adminRotateSigningKeys', tag: ADMIN_TAG, credential: 'adminToken',
        summary: 'Rotate the signing keys, like `latchkey keys rotate` (all-organizations tokens only): new keys published now, signing after the key cache delay; old keys retire after the longest token lifetime',
        responses: { 200: { description: 'The rotation', schema: RotationBody }, 401: unauthorized, 403: forbidden, 500: internalError },
      },
    },
  ];
}
