import type { Handler } from 'hono';
import type { ClientRegistrationFeatures } from '../../protocol/metadata.js';
import { authorizationServerMetadata, openIdConfiguration } from '../../protocol/metadata.js';
import type { AppEnv } from '../env.js';

/** SPEC §13: read per request, since an organization's switches change at run time. */
type Features = () => Promise<ClientRegistrationFeatures>;

/** GET /.well-known/oauth-authorization-server — RFC 8414. */
export const oauthMetadata = (issuer: string, features: Features = async () => ({})): Handler<AppEnv> => {
  return async (c) => {
    const document = authorizationServerMetadata(issuer, await features());
    // Five minutes: a switch turned on (SPEC §13) is advertised soon after.
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(document);
  };
};

/** GET /.well-known/openid-configuration — OpenID Connect Discovery 1.0. */
export const openIdMetadata = (issuer: string, features: Features = async () => ({})): Handler<AppEnv> => {
  return async (c) => {
    const document = openIdConfiguration(issuer, await features());
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(document);
  };
};
