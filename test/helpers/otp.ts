import { expect } from 'vitest';
import type { TestApp, TestServer } from './server.js';

/** POST /auth/otp/request. */
export function requestOtp(server: TestServer, body: object, app: TestApp = server.demo, headers: Record<string, string> = {}): Promise<Response> {
  return server.request('/auth/otp/request', { json: body, headers: { 'x-publishable-key': app.publishableKey, ...headers } });
}

/** POST /auth/otp/verify, optionally with a guest's access token. */
export function verifyOtp(server: TestServer, body: object, options: { guestToken?: string; app?: TestApp } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'x-publishable-key': (options.app ?? server.demo).publishableKey };
  if (options.guestToken) headers.authorization = `Bearer ${options.guestToken}`;
  return server.request('/auth/otp/verify', { json: body, headers });
}

/** The code of the newest development-outbox message to `recipient`. */
export async function latestCode(server: TestServer, recipient: string): Promise<string> {
  // The latest message with a code: security notices (a passkey added, …) carry none.
  const messages = await server.server.runtime.store.listDevMessages({ recipient, limit: 20 });
  const withCode = messages.find((message) => /\b\d{6}\b/.test(message.body));
  expect(withCode, `a message with a code to ${recipient}`).toBeDefined();
  return /\b(\d{6})\b/.exec(withCode!.body)![1]!;
}

/** POST /auth/guest. */
export async function startGuest(server: TestServer, app: TestApp = server.demo): Promise<any> {
  const response = await server.request('/auth/guest', { method: 'POST', headers: { 'x-publishable-key': app.publishableKey } });
  expect(response.status).toBe(200);
  return response.json();
}

/** Request a code and verify it: the AuthSession of the address's consumer. */
export async function signInByEmail(server: TestServer, email: string, guestToken?: string): Promise<any> {
  expect((await requestOtp(server, { email })).status).toBe(200);
  const response = await verifyOtp(server, { email, code: await latestCode(server, email.toLowerCase()) }, { guestToken });
  expect(response.status).toBe(200);
  return response.json();
}
