import type { Handler } from 'hono';
import { authorizationServerMetadata, openIdConfiguration } from '../../protocol/metadata.js';
import type { AppEnv } from '../env.js';

/** GET /.well-known/oauth-authorization-server — RFC 8414. */
export const oauthMetadata = (issuer: string): Handler<AppEnv> => {
  const document = authorizationServerMetadata(issuer);
  return (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.json(document);
  };
};

/** GET /.well-known/openid-configuration — OpenID Connect Discovery 1.0. */
export const openIdMetadata = (issuer: string): Handler<AppEnv> => {
  const document = openIdConfiguration(issuer);
  return (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.json(document);
  };
};
