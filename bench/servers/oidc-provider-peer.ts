// The peer: oidc-provider (9.x), configured as close to Latchkey as it allows — EdDSA (Ed25519) JWT
// access tokens (its resource-indicators feature), its in-memory adapter, one confidential client.
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'peer', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'bench',
      client_secret: 'bench-secret-0123456789abcdef0123456789',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['api'],
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://api.example',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', accessTokenFormat: 'jwt', accessTokenTTL: 21600, jwt: { sign: { alg: 'EdDSA' } } }),
    },
  },
});
provider.listen(port, () => process.stdout.write('ready\n'));
