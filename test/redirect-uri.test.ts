import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRedirectUri, InvalidApplication } from '../src/flows/applications.js';
import { isRegisteredRedirectUri, redirectUriProblem } from '../src/protocol/redirect-uri.js';
import { describeEachEngine } from './helpers/engines.js';
import { createOAuthApp, initiate, pkce, standardQuery, type OAuthApp } from './helpers/oauth.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const REGISTERED = 'http://127.0.0.1:8080/callback';

/** Issue 11.7: what a WHATWG URL parser folds into the registered URI, and must therefore not match. */
const NOT_THE_REGISTERED_URI: Array<[string, string]> = [
  ['upper-case scheme', 'HTTP://127.0.0.1:8080/callback'],
  ['backslash for slash', 'http://127.0.0.1:8080\\callback'],
  ['dot segments', 'http://127.0.0.1:8080/x/../callback'],
  ['dot segment alone', 'http://127.0.0.1:8080/./callback'],
  ['IPv4 as one integer', 'http://2130706433:8080/callback'],
  ['short IPv4', 'http://127.1:8080/callback'],
  ['hexadecimal IPv4', 'http://0x7f.0.0.1:8080/callback'],
  ['octal IPv4', 'http://0177.0.0.1:8080/callback'],
  ['trailing dot on the host', 'http://127.0.0.1.:8080/callback'],
  ['leading space', ' http://127.0.0.1:8080/callback'],
  ['trailing space', 'http://127.0.0.1:8080/callback '],
  ['trailing tab', 'http://127.0.0.1:8080/callback\t'],
  ['trailing NUL', 'http://127.0.0.1:8080/callback\0'],
  ['tab inside', 'http://127.0.0.1:8080/call\tback'],
  ['port 80 written with a leading zero', 'http://127.0.0.1:080/callback'],
  ['port with leading zeros', 'http://127.0.0.1:08080/callback'],
  ['empty port', 'http://127.0.0.1:/callback'],
  ['port 0', 'http://127.0.0.1:0/callback'],
  ['port above 65535', 'http://127.0.0.1:65536/callback'],
  ['two ports', 'http://127.0.0.1:8080:80/callback'],
  ['user info', 'http://user@127.0.0.1:8080/callback'],
  ['another host after user info', 'http://127.0.0.1:8080@evil.example/callback'],
  ['percent-encoded path', 'http://127.0.0.1:8080/%63allback'],
  ['upper-case path', 'http://127.0.0.1:8080/Callback'],
  ['trailing slash', 'http://127.0.0.1:8080/callback/'],
  ['empty query', 'http://127.0.0.1:8080/callback?'],
  ['query', 'http://127.0.0.1:8080/callback?x=1'],
  ['fragment', 'http://127.0.0.1:8080/callback#x'],
  ['localhost is not an IP literal', 'http://localhost:8080/callback'],
  ['https', 'https://127.0.0.1:8080/callback'],
  ['another loopback address', 'http://127.0.0.2:8080/callback'],
  ['IPv6 loopback for IPv4', 'http://[::1]:8080/callback'],
  ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]:8080/callback'],
];

/** RFC 8252 §7.3: the port is the one part a native app may change. */
const PORT_VARIANTS = [
  'http://127.0.0.1:8080/callback',
  'http://127.0.0.1:53123/callback',
  'http://127.0.0.1:1/callback',
  'http://127.0.0.1:65535/callback',
  'http://127.0.0.1:80/callback',
  'http://127.0.0.1/callback',
];

describe('issue 11.7 / RFC 8252 §7.3: loopback redirect URIs match exactly except for the port', () => {
  it.each(NOT_THE_REGISTERED_URI)('RFC 9700 §4.1.3: refuses %s', (_name, candidate) => {
    expect(isRegisteredRedirectUri([REGISTERED], candidate)).toBe(false);
  });

  it.each(PORT_VARIANTS)('accepts the port variant %j', (candidate) => {
    expect(isRegisteredRedirectUri([REGISTERED], candidate)).toBe(true);
  });

  it('[::1] varies in its port only as well', () => {
    expect(isRegisteredRedirectUri(['http://[::1]:8080/cb'], 'http://[::1]:49152/cb')).toBe(true);
    expect(isRegisteredRedirectUri(['http://[::1]:8080/cb'], 'http://[0:0:0:0:0:0:0:1]:49152/cb')).toBe(false);
    expect(isRegisteredRedirectUri(['http://[::1]:8080/cb'], 'http://[::1]:49152/cb/')).toBe(false);
  });

  it('any other URI matches only exactly (localhost and https get no port exception)', () => {
    expect(isRegisteredRedirectUri(['http://localhost:8080/cb'], 'http://localhost:8080/cb')).toBe(true);
    expect(isRegisteredRedirectUri(['http://localhost:8080/cb'], 'http://localhost:9090/cb')).toBe(false);
    expect(isRegisteredRedirectUri(['https://127.0.0.1:8443/cb'], 'https://127.0.0.1:9443/cb')).toBe(false);
    expect(isRegisteredRedirectUri(['https://app.example/cb'], 'https://APP.example/cb')).toBe(false);
  });

  // An oracle written independently of the implementation: the registered string with its port
  // replaced by "any port as a browser writes it, or none".
  const isPortVariant = (candidate: string) => {
    const match = /^http:\/\/127\.0\.0\.1(?::([1-9][0-9]{0,4}))?\/callback$/.exec(candidate);
    return match !== null && (match[1] === undefined || Number(match[1]) <= 65535);
  };
  const interesting = fc.constantFrom(...'./\\:%@#?0189aAcCxX \t\0\n\r[]'.split(''), 'é', '\u200b', '\ud800', '..', '0x', 'C');
  const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.oneof(interesting, fc.string({ maxLength: 3, unit: 'binary' })) });
  const mutated = fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) =>
    edits.reduce((uri, { at, remove, insert }) => {
      const index = at % (uri.length + 1);
      return uri.slice(0, index) + insert + uri.slice(index + remove);
    }, REGISTERED),
  );
  const withPort = fc.integer({ min: 0, max: 99999 }).map((port) => `http://127.0.0.1:${port}/callback`);

  it('property: a string that differs from the registered one other than in the port is refused; a port variant is accepted', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, withPort, fc.string({ unit: 'binary' })), (candidate) => {
        expect(isRegisteredRedirectUri([REGISTERED], candidate)).toBe(isPortVariant(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  it('RFC 9700 §4.1.3: a redirect URI is registered only in the form a client sends (what a URL parser would keep)', () => {
    expect(redirectUriProblem('http://127.0.0.1:8080/callback', 'live')).toBeUndefined();
    expect(redirectUriProblem('http://[::1]:8080/callback', 'live')).toBeUndefined();
    expect(redirectUriProblem('com.example.app:/oauth/callback', 'live')).toBeUndefined();
    expect(redirectUriProblem('https://app.example/cb?tenant=1', 'live')).toBeUndefined();
    for (const [uri, canonical] of [
      ['HTTP://127.0.0.1:8080/callback', 'http://127.0.0.1:8080/callback'],
      ['http://127.0.0.1:8080/x/../callback', 'http://127.0.0.1:8080/callback'],
      ['http://127.1:8080/callback', 'http://127.0.0.1:8080/callback'],
      ['http://127.0.0.1:80/callback', 'http://127.0.0.1/callback'],
      [' http://127.0.0.1:8080/callback', 'http://127.0.0.1:8080/callback'],
      ['https://App.example/cb', 'https://app.example/cb'],
      ['https://app.example', 'https://app.example/'],
    ]) {
      expect(redirectUriProblem(uri!, 'live')).toBe(`is not in canonical form (register ${canonical})`);
    }
    expect(redirectUriProblem('https://app.example/cb#', 'live')).toBe('must not have a fragment');
  });
});

describeEachEngine('issue 11.7 / RFC 8252 §7.3: the initiate endpoint compares loopback redirect URIs as sent', (engine) => {
  let server: TestServer;
  let native: OAuthApp;
  beforeAll(async () => {
    server = await startTestServer(engine);
    native = await createOAuthApp(server, { type: 'public', redirectUris: [REGISTERED] });
  });
  afterAll(() => server?.close());

  it.each(NOT_THE_REGISTERED_URI)('RFC 9700 §4.1.3: refuses %s with a 400, never a redirect', async (_name, candidate) => {
    const { mode: _mode, ...hosted } = standardQuery(native, pkce().challenge, { redirect_uri: candidate });
    const response = await initiate(server, hosted);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('redirect_uri') });
  });

  it('a URI that is not in canonical form cannot be registered (apps create, apps add-redirect-uri)', async () => {
    await expect(createOAuthApp(server, { redirectUris: ['http://127.1:8080/callback'] })).rejects.toThrow(
      'redirect URI http://127.1:8080/callback is not in canonical form (register http://127.0.0.1:8080/callback)',
    );
    const application = (await server.server.runtime.deps.store.getApplication(native.id))!;
    await expect(addRedirectUri(server.server.runtime.deps, application, 'HTTP://127.0.0.1:9/cb')).rejects.toThrow(InvalidApplication);
  });

  it.each(PORT_VARIANTS)('accepts the port variant %j', async (candidate) => {
    const response = await initiate(server, standardQuery(native, pkce().challenge, { redirect_uri: candidate }));
    expect(response.status).toBe(200);
  });
});
