// `npm run size:client`: the size of `latchkey/client` as a browser app ships it — bundled from
// dist/, minified, gzipped at level 9 (the figure README states).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const result = await build({
  entryPoints: [new URL('../dist/sdk/client/index.js', import.meta.url).pathname],
  bundle: true, minify: true, format: 'esm', platform: 'browser', write: false,
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(`latchkey/client: ${code.length} bytes minified, ${gzipped} bytes minified + gzipped (${(gzipped / 1024).toFixed(1)} kB)`);
