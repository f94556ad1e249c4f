import type { TestApp, TestServer } from './server.js';

export const IDENTITY = { provider: 'shop', issuer: 'https://shop.example', subject: 'user-1' };

/** POST /auth/external/authorize with a secret key. */
export function authorize(server: TestServer, app: TestApp, body: unknown): Promise<Response> {
  return server.request('/auth/external/authorize', { json: body, headers: { authorization: `Bearer ${app.secretKey}` } });
}

/** POST /auth/external/exchange with a publishable key. */
export function exchange(server: TestServer, app: TestApp, body: unknown): Promise<Response> {
  return server.request('/auth/external/exchange', { json: body, headers: { 'x-publishable-key': app.publishableKey } });
}

/** Authorize + exchange: a signed-in consumer's AuthSession. */
export async function signIn(server: TestServer, app: TestApp = server.demo, identity: object = IDENTITY): Promise<{
  session: { type: string; consumerId: string; expiresAt: string; email?: string };
  accessToken: string;
  refreshToken: string;
  refreshTokenTtlSeconds: number;
  beaconToken: string;
}> {
  const minted = await authorize(server, app, identity);
  if (minted.status !== 200) throw new Error(`authorize failed: ${minted.status} ${await minted.text()}`);
  const { exchangeCode } = (await minted.json()) as { exchangeCode: string };
  const response = await exchange(server, app, { exchangeCode });
  if (response.status !== 200) throw new Error(`exchange failed: ${response.status} ${await response.text()}`);
  return response.json() as never;
}

/** POST /auth/refresh. */
export function refresh(server: TestServer, app: TestApp, refreshToken: string): Promise<Response> {
  return server.request('/auth/refresh', { json: { refreshToken }, headers: { 'x-publishable-key': app.publishableKey } });
}

/** GET /consumers/me with an access token. */
export function me(server: TestServer, accessToken: string): Promise<Response> {
  return server.request('/consumers/me', { headers: { authorization: `Bearer ${accessToken}` } });
}
