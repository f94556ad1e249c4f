import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// `npm test` builds dist/ first (pretest); these read what the package ships.
describe('the latchkey package ships its client modules (issue 16)', () => {
  it('SPEC §11: `latchkey/client` and `latchkey/server` resolve through package.json exports', async () => {
    const client = await import('latchkey/client' as string);
    const server = await import('latchkey/server' as string);
    expect(Object.keys(client)).toEqual(expect.arrayContaining(['createLatchkey', 'createOAuthClient', 'indexedDbStore', 'localStorageStore', 'memoryStore', 'InvalidRefreshToken', 'ValidationError']));
    expect(Object.keys(server)).toEqual(expect.arrayContaining(['createLatchkeyServer', 'verifyAccessToken', 'honoMiddleware', 'expressMiddleware', 'InvalidToken', 'ValidationError']));
  });

  it('issue 16: `latchkey/client` bundles for the browser with nothing external and stays under 10 kB minified + gzipped', async () => {
    const result = await build({
      entryPoints: [new URL('../dist/sdk/client/index.js', import.meta.url).pathname],
      bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length).toBeLessThan(10 * 1024);
  });
});
