import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentFetcher } from '../src/net/metadata-document-fetch.js';
import { DocumentFetchError, clientIdUrlProblem, metadataCacheSeconds, readClientMetadata } from '../src/protocol/client-metadata-document.js';
import { isFetchableAddress } from '../src/protocol/public-address.js';

const strict = createDocumentFetcher({ allowInsecure: false, timeoutMs: 2_000, maxBytes: 5_120 });

describe('CIMD SSRF guard: addresses', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '10.255.255.255', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
    '::ffff:8.8.8.8', '64:ff9b::a00:1', '2002:a00:1::1', 'not-an-ip',
  ])('%s is refused', (address) => {
    expect(isFetchableAddress(address, false)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('%s is public', (address) => {
    expect(isFetchableAddress(address, false)).toBe(true);
  });

  it('the test-only setting allows loopback, and nothing else that is private', () => {
    expect(isFetchableAddress('127.0.0.1', true)).toBe(true);
    expect(isFetchableAddress('::1', true)).toBe(true);
    for (const address of ['10.0.0.1', '169.254.169.254', '192.168.0.1', 'fc00::1', '::ffff:127.0.0.1']) expect(isFetchableAddress(address, true)).toBe(false);
  });
});

describe('CIMD SSRF guard: the fetcher refuses before connecting', () => {
  it.each([
    ['https://127.0.0.1/client.json', /not public/],
    ['https://10.1.2.3/client.json', /not public/],
    ['https://169.254.169.254/latest/meta-data', /not public/],
    ['https://[::1]/client.json', /not public/],
    ['https://[::ffff:127.0.0.1]/client.json', /not public/],
    ['https://[fd00::1]/client.json', /not public/],
    // A host name that resolves to loopback: the resolved address is checked, not the name.
    ['https://localhost/client.json', /not public/],
    ['http://example.com/client.json', /only https/],
  ])('%s', async (url, message) => {
    await expect(strict(url)).rejects.toThrow(DocumentFetchError);
    await expect(strict(url)).rejects.toThrow(message);
  });
});

describe('CIMD fetch limits (against a local server, with the test-only loopback setting)', () => {
  let server: Server;
  let base: string;
  const routes: Record<string, (response: ServerResponse) => void> = {
    '/ok': (r) => { r.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }); r.end('{"client_id":"x"}'); },
    '/redirect': (r) => { r.writeHead(302, { location: '/ok' }); r.end(); },
    '/big-declared': (r) => { r.writeHead(200, { 'content-type': 'application/json', 'content-length': '6000' }); r.end('x'.repeat(6000)); },
    '/big-chunked': (r) => { r.writeHead(200, { 'content-type': 'application/json' }); for (let i = 0; i < 12; i++) r.write('x'.repeat(1000)); r.end(); },
    '/slow': (r) => { r.writeHead(200, { 'content-type': 'application/json' }); r.write('{'); /* never ends */ },
    '/silent': () => { /* never answers */ },
    '/html': (r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end('<p>hi</p>'); },
    '/not-json': (r) => { r.writeHead(200, { 'content-type': 'application/json' }); r.end('{nope'); },
    '/missing': (r) => { r.writeHead(404); r.end(); },
  };
  const fetcher = createDocumentFetcher({ allowInsecure: true, timeoutMs: 400, maxBytes: 5_120 });

  beforeAll(async () => {
    server = createServer((request, response) => {
      const route = routes[request.url ?? ''];
      if (route) route(response);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a JSON document comes back with its Cache-Control', async () => {
    expect(await fetcher(`${base}/ok`)).toEqual({ body: { client_id: 'x' }, cacheControl: 'max-age=600' });
  });

  it.each([
    ['/redirect', /redirect \(302\), which is not followed/],
    ['/big-declared', /larger than 5120 bytes/],
    ['/big-chunked', /larger than 5120 bytes/],
    ['/slow', /within 400 ms/],
    ['/silent', /within 400 ms/],
    ['/html', /not application\/json/],
    ['/not-json', /not valid JSON/],
    ['/missing', /answered 404/],
  ])('%s is refused', async (path, message) => {
    const started = Date.now();
    await expect(fetcher(`${base}${path}`)).rejects.toThrow(message);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a private address stays refused with the test-only setting', async () => {
    await expect(fetcher('http://10.0.0.1/client.json')).rejects.toThrow(/not public/);
    await expect(fetcher('http://169.254.169.254/latest/meta-data')).rejects.toThrow(/not public/);
  });
});

describe('CIMD §3 client identifier URL', () => {
  it.each([
    ['http://app.example/client.json', 'must use https'],
    ['https://app.example', 'must contain a path'],
    ['https://app.example/', 'must contain a path'],
    ['https://user:pw@app.example/client.json', 'must not contain a username or password'],
    ['https://app.example/client.json#x', 'must not contain a fragment'],
    ['https://app.example/client.json?v=1', 'must not contain a query'],
    ['https://app.example/a/../client.json', 'must not contain dot path segments'],
    ['https://app.example/./client.json', 'must not contain dot path segments'],
    ['https://APP.example/client.json', 'is not in canonical form (https://app.example/client.json)'],
  ])('%s: %s', (url, problem) => {
    expect(clientIdUrlProblem(url, false)).toBe(problem);
  });

  it('an over-long URL is refused', () => {
    expect(clientIdUrlProblem(`https://app.example/${'a'.repeat(2100)}`, false)).toBe('is longer than 2048 characters');
  });

  it('a plain https URL with a path (and a port) is fine', () => {
    expect(clientIdUrlProblem('https://app.example/oauth/client.json', false)).toBeUndefined();
    expect(clientIdUrlProblem('https://app.example:8443/client', false)).toBeUndefined();
    expect(clientIdUrlProblem('http://127.0.0.1:4000/client.json', true)).toBeUndefined();
  });
});

describe('CIMD §4 client metadata', () => {
  const url = 'https://app.example/client.json';
  const valid = { client_id: url, client_name: 'Agent', redirect_uris: ['https://app.example/cb'] };

  it('a valid document', () => {
    expect(readClientMetadata(valid, url, 'live')).toEqual({
      clientId: url, name: 'Agent', redirectUris: ['https://app.example/cb'], allowedScopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    });
  });

  it.each([
    [{ ...valid, client_id: 'https://other.example/client.json' }, "the document's client_id is not the URL it was fetched from"],
    [{ ...valid, client_id: `${url}/` }, "the document's client_id is not the URL it was fetched from"],
    [{ ...valid, redirect_uris: undefined }, 'redirect_uris must be a non-empty list of URIs'],
    [{ ...valid, redirect_uris: [] }, 'redirect_uris must be a non-empty list of URIs'],
    [{ ...valid, redirect_uris: ['http://app.example/cb'] }, 'redirect URI http://app.example/cb may use http only for loopback hosts or test applications'],
    [{ ...valid, client_secret: 's' }, 'the document must not contain client_secret or client_secret_expires_at'],
    [{ ...valid, token_endpoint_auth_method: 'client_secret_basic' }, 'token_endpoint_auth_method must be none (public clients with PKCE)'],
    [{ ...valid, grant_types: ['client_credentials'] }, 'grant_types may only list authorization_code and refresh_token'],
    [{ ...valid, response_types: ['token'] }, 'response_types may only list code'],
    [[valid], 'the document is not a JSON object'],
  ])('refused: %j', (document, message) => {
    expect(() => readClientMetadata(document, url, 'live')).toThrow(message);
  });
});

describe('CIMD caching (RFC 9111 §5.2.2 Cache-Control)', () => {
  it.each([
    [null, 300], ['max-age=600', 600], ['public, max-age=600', 600], ['max-age=5', 60], ['max-age=99999999', 86400],
    ['no-store', 0], ['no-cache', 0], ['max-age=600, no-store', 0], ['private', 300],
  ])('%s → %i s', (header, seconds) => {
    expect(metadataCacheSeconds(header)).toBe(seconds);
  });
});

describe('LATCHKEY_INSECURE_CLIENT_METADATA_FETCH (tests only)', () => {
  it('is refused unless the issuer is on a loopback host', async () => {
    const { loadConfig, ConfigError } = await import('../src/config/config.js');
    const env = { LATCHKEY_DATABASE_URL: 'sqlite::memory:', LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: 'true' };
    expect(() => loadConfig({ ...env, LATCHKEY_ISSUER: 'https://auth.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, LATCHKEY_ISSUER: 'https://auth.example.com' })).toThrow(/LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: only for tests/);
    expect(loadConfig({ ...env, LATCHKEY_ISSUER: 'http://127.0.0.1:4800' }).clientRegistration.allowInsecureMetadataFetch).toBe(true);
    expect(loadConfig({ LATCHKEY_DATABASE_URL: 'sqlite::memory:' }).clientRegistration).toEqual({ organizationName: 'default', allowInsecureMetadataFetch: false, resources: [] });
  });
});

describe('LATCHKEY_CLIENT_REGISTRATION_RESOURCES', () => {
  it('lists the RFC 8707 resources of clients nobody registered (spaces or commas); a relative URI or a fragment is refused naming the setting', async () => {
    const { loadConfig, ConfigError } = await import('../src/config/config.js');
    const env = { LATCHKEY_DATABASE_URL: 'sqlite::memory:' };
    expect(loadConfig({ ...env, LATCHKEY_CLIENT_REGISTRATION_RESOURCES: 'https://api.example/mcp, https://api.example/v2' }).clientRegistration.resources)
      .toEqual(['https://api.example/mcp', 'https://api.example/v2']);
    expect(() => loadConfig({ ...env, LATCHKEY_CLIENT_REGISTRATION_RESOURCES: 'https://api.example/mcp#x' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, LATCHKEY_CLIENT_REGISTRATION_RESOURCES: '/mcp' })).toThrow(/LATCHKEY_CLIENT_REGISTRATION_RESOURCES/);
  });
});
