import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, initiate, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const HOSTED_FORMS = ['login', 'second-factor', 'email-code', 'email-code/verify', 'consent'];
const BROKEN_MULTIPART = { 'content-type': 'multipart/form-data; boundary=xx' };

// Issue 11.4: a body that cannot be parsed is the sender's mistake — a 400 page on the hosted forms,
// the documented JSON error on the API — never a 500, and never an error in the log.
describeEachEngine('issue 11.4: hosted forms survive a broken body', (engine) => {
  let server: TestServer;
  let app: OAuthApp;
  const BODY_LIMIT = 2048;
  beforeAll(async () => {
    server = await startTestServer(engine, { LATCHKEY_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    app = await createOAuthApp(server);
  });
  afterAll(() => server?.close());

  let logStart = 0;
  afterEach(() => {
    const errors = server.logLines.slice(logStart).filter((line) => /"level":(50|60)/.test(line));
    logStart = server.logLines.length;
    expect(errors).toEqual([]);
  });

  async function hostedPath(): Promise<string> {
    const { mode: _mode, ...query } = standardQuery(app, pkce().challenge);
    const started = await initiate(server, query);
    return new URL(started.headers.get('location')!).pathname;
  }

  const expectPage = async (response: Response, status: number, text: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.text()).toContain(text);
  };

  it('issue 11.4: a garbage multipart body on each of the five hosted POST routes → a 400 page, before the CSRF check', async () => {
    const path = await hostedPath();
    for (const form of HOSTED_FORMS) {
      const response = await server.request(`${path}/${form}`, { method: 'POST', body: 'garbage', headers: BROKEN_MULTIPART });
      await expectPage(response, 400, 'the form could not be read');
    }
    // The authorization request is untouched: its page still shows the sign-in form.
    const page = await server.request(path);
    expect(page.status).toBe(200);
  });

  it('issue 11.4 / 11.3: a form field with U+0000 (urlencoded or multipart) → a 400 page, before any lookup', async () => {
    const path = await hostedPath();
    const urlencoded = await server.request(`${path}/login`, { method: 'POST', body: 'email=a%00%40example.com&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expectPage(urlencoded, 400, 'does not accept');
    const multipart = `--b\r\nContent-Disposition: form-data; name="email"\r\n\r\na\u0000@example.com\r\n--b--\r\n`;
    const response = await server.request(`${path}/email-code`, { method: 'POST', body: multipart, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    await expectPage(response, 400, 'does not accept');
  });

  it('issue 11.4: a 413 on a hosted route is an HTML page, by Content-Length and when streamed', async () => {
    const path = await hostedPath();
    const big = `email=${'a'.repeat(BODY_LIMIT + 10)}`;
    const sized = await server.request(`${path}/login`, { method: 'POST', body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expectPage(sized, 413, 'more than this page accepts');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await server.request(`${path}/login`, {
      method: 'POST', body: stream, headers: { 'content-type': 'application/x-www-form-urlencoded' }, duplex: 'half',
    } as RequestInit);
    await expectPage(streamed, 413, 'more than this page accepts');
    // The API keeps its JSON 413 (SPEC §3).
    const api = await server.request('/auth/otp/request', { method: 'POST', body: big, headers: { 'content-type': 'application/json', 'x-publishable-key': server.demo.publishableKey } });
    expect(api.status).toBe(413);
    expect(await api.json()).toEqual({ error: 'payload_too_large', message: `the request body is larger than ${BODY_LIMIT} bytes` });
  });

  it('issue 11.4: a 404 under the hosted pages (unknown form, wrong method) is an HTML page too', async () => {
    const path = await hostedPath();
    await expectPage(await server.request(`${path}/nowhere`, { method: 'POST' }), 404, 'Sign-in link not valid');
    await expectPage(await server.request(`${path}/login`), 404, 'Sign-in link not valid');
  });

  it('issue 11.4: the JSON and form endpoints answer a broken multipart body with their documented 400', async () => {
    const oauth = await server.request('/v1/auth/oauth/token', { method: 'POST', body: 'garbage', headers: BROKEN_MULTIPART });
    expect(oauth.status).toBe(400);
    expect(await oauth.json()).toEqual({ error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded or application/json' });
    const consumer = await server.request('/auth/otp/request', { method: 'POST', body: 'garbage', headers: { ...BROKEN_MULTIPART, 'x-publishable-key': server.demo.publishableKey } });
    expect(consumer.status).toBe(400);
    expect((await consumer.json()).error).toBe('validation_error');
  });
});
