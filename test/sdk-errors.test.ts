import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as client from '../src/sdk/client/index.js';
import { ERROR_CLASSES, errorFromResponse, InvalidGrant, LatchkeyError, RateLimitExceeded, ValidationError } from '../src/sdk/shared/errors.js';

const PROTOCOL = new URL('../src/protocol/', import.meta.url);

describe('latchkey/client and latchkey/server errors (SPEC §3)', () => {
  it('issue 16: every wire code the server can answer has its typed error, and no other', () => {
    const serverCodes = readdirSync(PROTOCOL)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => [...readFileSync(new URL(name, PROTOCOL), 'utf8').matchAll(/readonly code = '([a-z_]+)'/g)].map((m) => m[1]!));
    // 500 bodies are `{ error: 'internal_error', requestId }` (written by http/error-response.ts, no class).
    // A code may have two server classes (invalid_token: the OAuth body and the admin API's SPEC §3 body); one client class reads both.
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual([...new Set([...serverCodes, 'internal_error'])].sort());
  });

  it('issue 16: each error class is named as its code and exported by latchkey/client', () => {
    for (const [code, Class] of Object.entries(ERROR_CLASSES)) {
      const error = errorFromResponse(400, { error: code, message: 'm' });
      expect(error).toBeInstanceOf(Class);
      expect(error).toBeInstanceOf(LatchkeyError);
      expect(error.name).toBe(Class.name);
      expect((client as Record<string, unknown>)[Class.name]).toBe(Class);
    }
  });

  it('SPEC §3: the three body shapes are read (message, error_description, issues, retryAfter)', () => {
    const oauth = errorFromResponse(400, { error: 'invalid_grant', error_description: 'code used' });
    expect(oauth).toBeInstanceOf(InvalidGrant);
    expect(oauth.message).toBe('code used');
    const issues = [{ kind: 'schema', type: 'string', expected: 'string', received: 'undefined', message: 'm', path: [] }];
    expect((errorFromResponse(400, { error: 'validation_error', issues }) as ValidationError).issues).toEqual(issues);
    expect((errorFromResponse(429, { error: 'rate_limit_exceeded', message: 'slow', retryAfter: 7 }) as RateLimitExceeded).retryAfterSeconds).toBe(7);
    const proxy = errorFromResponse(502, '<html>bad gateway</html>', 'req-1');
    expect([proxy.constructor, proxy.code, proxy.status, proxy.requestId]).toEqual([LatchkeyError, 'http_502', 502, 'req-1']);
  });
});
