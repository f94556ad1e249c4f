import { describe, expect, it } from 'vitest';
import { normalizeHtu, normalizePercentEncoding } from '../src/protocol/dpop.js';
import { htuOf } from '../src/sdk/server/dpop.js';

// RFC 9449 §4.3 check 9 with RFC 3986 §6.2.2: the server's rule and latchkey/server's copy agree.
describe.each([
  ['server (src/protocol/dpop.ts normalizeHtu)', normalizeHtu],
  ['latchkey/server (src/sdk/server/dpop.ts)', htuOf],
])('RFC 9449 §4.3 check 9 htu normalization — %s', (_name, normalize) => {
  const same: Array<[string, string]> = [
    // RFC 3986 §6.2.2.2: percent-encoded unreserved characters are the characters themselves.
    ['https://as.example/v1/auth/oauth/token', 'https://as.example/v1/auth/oauth/%74oken'],
    ['https://as.example/v1/auth/oauth/token', 'https://as.example/v1/auth/oauth/%74%6F%6B%65%6E'],
    ['https://as.example/a~b-c.d_e', 'https://as.example/a%7Eb%2Dc%2Ed%5Fe'],
    ['https://as.example/a~b', 'https://as.example/a%7eb'],
    // §6.2.2.1: the hexadecimal digits of an escape are case-insensitive.
    ['https://as.example/a%2Fb', 'https://as.example/a%2fb'],
    ['https://as.example/caf%C3%A9', 'https://as.example/caf%c3%a9'],
    // §6.2.2.1, §6.2.3 (the URL parser): scheme and host case, default port; query and fragment dropped.
    ['https://as.example/token', 'HTTPS://AS.example:443/token?x=1#f'],
  ];
  for (const [a, b] of same) {
    it(`${b} ≡ ${a}`, () => {
      expect(normalize(b)).toBe(normalize(a));
      expect(normalize(b)).toBeDefined();
    });
  }

  const different: Array<[string, string]> = [
    // A reserved character and its escape are different URLs (§6.2.2.2 decodes only unreserved ones).
    ['https://as.example/a/b', 'https://as.example/a%2Fb'],
    ['https://as.example/token', 'https://as.example/tokens'],
    ['https://as.example/token', 'http://as.example/token'],
  ];
  for (const [a, b] of different) {
    it(`${b} ≢ ${a}`, () => {
      expect(normalize(b)).not.toBe(normalize(a));
    });
  }
});

describe('RFC 3986 §6.2.2.1–6.2.2.2 normalizePercentEncoding', () => {
  it('decodes unreserved escapes, uppercases the rest, leaves malformed ones', () => {
    expect(normalizePercentEncoding('/%41%7a%30%2d%2E%5f%7E')).toBe('/Az0-._~');
    expect(normalizePercentEncoding('/%2f%3a%c3%a9%20')).toBe('/%2F%3A%C3%A9%20');
    expect(normalizePercentEncoding('/%zz%4')).toBe('/%zz%4');
  });
});
