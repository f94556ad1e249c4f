import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// STYLE §5: layers with one-way imports, checked on every import of every source file.
const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Which top-level folders each layer may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  http: ['flows', 'protocol', 'crypto', 'storage', 'observability', 'config', 'ui'],
  // The hosted pages render what http/ hands them; they reach no flow, store or token (STYLE §5).
  ui: [],
  flows: ['protocol', 'crypto', 'storage', 'observability', 'delivery'],
  protocol: ['crypto', 'storage'],
  crypto: [],
  storage: ['protocol', 'observability'],
  delivery: ['crypto', 'observability', 'protocol', 'storage'],
  config: ['protocol'],
  observability: ['crypto', 'protocol', 'storage'],
  cli: ['config', 'delivery', 'flows', 'storage', 'protocol', 'observability', 'server.ts'],
  'server.ts': ['config', 'crypto', 'delivery', 'flows', 'http', 'observability', 'protocol', 'storage'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('STYLE §5: imports only go down the layers', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const layer = relative(SRC, file).split('/')[0]!;
      const allowed = ALLOWED[layer];
      expect(allowed, `layer ${layer} is not in the table`).toBeDefined();
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, join(file, '..', spec!)).split('/')[0]!.replace(/\.js$/, '.ts');
        if (target !== layer && !allowed!.includes(target)) violations.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('STYLE §5: flows see the Store and Delivery interfaces, never an implementation', () => {
    const interfaces = ['../storage/store.js', '../delivery/sender.js', '../delivery/settings.js'];
    const offenders = sourceFiles(join(SRC, 'flows')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(\.\.\/(?:storage|delivery)\/[^']+)'/g)].map((m) => m[1]!).filter((spec) => !interfaces.includes(spec)),
    );
    expect(offenders).toEqual([]);
  });

  it('STYLE §8: no process.env outside config/ and the CLI entry', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !relative(SRC, file).startsWith('config/') && relative(SRC, file) !== 'cli/main.ts')
      .filter((file) => readFileSync(file, 'utf8').includes('process.env'));
    expect(offenders).toEqual([]);
  });
});
