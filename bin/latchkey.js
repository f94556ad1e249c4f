#!/usr/bin/env node
// The installed `latchkey` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the `prepare` script); this shim only forwards to the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('latchkey: dist/ is missing; run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
