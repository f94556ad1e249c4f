import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// STYLE §5: layers with one-way imports, checked on every import of every source file.
const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Which top-level folders each layer may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  // Not storage/, not even a type: a request reaches the Store only through a flow (issue 11.17).
  http: ['flows', 'protocol', 'crypto', 'observability', 'config', 'ui'],
  // The hosted pages render what http/ hands them; they reach no flow, store or token (STYLE §5).
  ui: [],
  flows: ['protocol', 'crypto', 'storage', 'observability', 'delivery'],
  // Pure rules: they take plain values, never a storage type (issue 11.17).
  protocol: ['crypto'],
  crypto: [],
  storage: ['protocol', 'observability'],
  delivery: ['crypto', 'observability', 'protocol', 'storage'],
  config: ['protocol'],
  // Outbound requests to URLs a client names (SPEC §13 metadata documents): guarded, rule-bound.
  net: ['protocol'],
  observability: ['crypto', 'protocol', 'storage'],
  cli: ['config', 'delivery', 'flows', 'storage', 'protocol', 'observability', 'server.ts'],
  'server.ts': ['config', 'crypto', 'delivery', 'flows', 'http', 'net', 'observability', 'protocol', 'storage'],
  // The client library (SPEC §11) ships to browsers and other people's backends: no server code at
  // run time. Its wire types come from http/schemas by type-only imports (checked below).
  sdk: [],
};

/** Type-only imports (`import type …`, `export type … from`) a layer may make beyond its table. */
const TYPE_ONLY_ALLOWED: Record<string, string[]> = { sdk: ['http/schemas/'] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of a file: static imports and re-exports, side-effect and dynamic imports. */
function relativeImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.[^']+)'/g)].map((match) => match[1]!);
}

/** Relative specifiers of `import type` / `export type` declarations: erased, so nothing runs. */
function typeOnlyImports(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = new Set<string>();
  for (const statement of source.statements) {
    const isTypeOnly =
      (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly === true) ||
      (ts.isExportDeclaration(statement) && statement.isTypeOnly);
    const spec = (statement as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier;
    if (isTypeOnly && spec && ts.isStringLiteral(spec)) found.add(spec.text);
  }
  return found;
}

/** The file an import specifier names (`./x.js` is the source file `./x.ts`). */
function resolveImport(file: string, spec: string): string {
  return join(dirname(file), spec).replace(/\.js$/, '.ts');
}

/** Every place a file reads a `store` property or destructures one (`deps.store`, `{ store } = deps`, `x['store']`). */
function storeAccesses(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node) => `${relative(SRC, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'store') found.push(at(node));
    if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) && node.argumentExpression.text === 'store') found.push(at(node));
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const key = node.propertyName ?? node.name;
      if ((ts.isIdentifier(key) || ts.isStringLiteralLike(key)) && key.text === 'store') found.push(at(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Strongly connected components of more than one module (or a module importing itself): import cycles. */
function importCycles(files: string[]): string[][] {
  const edges = new Map(files.map((file) => [file, relativeImports(file).map((spec) => resolveImport(file, spec))]));
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const connect = (file: string): void => {
    index.set(file, index.size);
    lowLink.set(file, index.get(file)!);
    stack.push(file);
    for (const target of edges.get(file)!.filter((target) => edges.has(target))) {
      if (!index.has(target)) {
        connect(target);
        lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(target)!));
      } else if (stack.includes(target)) {
        lowLink.set(file, Math.min(lowLink.get(file)!, index.get(target)!));
      }
    }
    if (lowLink.get(file) !== index.get(file)) return;
    const component = stack.splice(stack.indexOf(file));
    if (component.length > 1 || edges.get(file)!.includes(file)) cycles.push(component.map((member) => relative(SRC, member)).sort());
  };
  for (const file of files) if (!index.has(file)) connect(file);
  return cycles;
}

describe('architecture', () => {
  it('STYLE §5: imports only go down the layers', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const layer = relative(SRC, file).split('/')[0]!;
      const allowed = ALLOWED[layer];
      expect(allowed, `layer ${layer} is not in the table`).toBeDefined();
      const typeOnly = typeOnlyImports(file);
      for (const spec of relativeImports(file)) {
        const targetPath = relative(SRC, resolveImport(file, spec));
        const target = targetPath.split('/')[0]!;
        const isAllowedType = typeOnly.has(spec) && (TYPE_ONLY_ALLOWED[layer] ?? []).some((prefix) => targetPath.startsWith(prefix));
        if (target !== layer && !allowed!.includes(target) && !isAllowedType) violations.push(`${relative(SRC, file)} → ${spec}`);
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

  it('issue 11.17 / STYLE §5: http/ and ui/ never touch the Store — every store call is a flow', () => {
    const files = [...sourceFiles(join(SRC, 'http')), ...sourceFiles(join(SRC, 'ui'))];
    expect(files.flatMap(storeAccesses)).toEqual([]);
  });

  it('issue 11.17: the check above sees every way of reaching the Store', () => {
    const probe = join(SRC, '..', 'test', 'fixtures', 'architecture-store-probe.ts');
    expect(storeAccesses(probe).map((place) => place.split(':')[1])).toEqual(['4', '5', '6', '7']);
  });

  it('issue 11.17: no import cycles in src/ (type-only imports included)', () => {
    expect(importCycles(sourceFiles(SRC))).toEqual([]);
  });

  it('issue 11.17: the cycle check finds a cycle through a type-only import', () => {
    const dir = join(SRC, '..', 'test', 'fixtures', 'import-cycle');
    expect(importCycles(sourceFiles(dir)).map((cycle) => cycle.map((file) => file.split('/').pop()))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('SPEC §11: the browser client imports no package and no Node built-in at run time; the server module only jose and node:http types', () => {
    const runtimePackages = (file: string) => {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
      return source.statements
        .filter((s): s is ts.ImportDeclaration | ts.ExportDeclaration => ts.isImportDeclaration(s) || ts.isExportDeclaration(s))
        .filter((s) => !(ts.isImportDeclaration(s) ? s.importClause?.isTypeOnly : s.isTypeOnly))
        .map((s) => (s.moduleSpecifier as ts.StringLiteral | undefined)?.text)
        .filter((spec): spec is string => spec !== undefined && !spec.startsWith('.'));
    };
    const client = [...sourceFiles(join(SRC, 'sdk', 'client')), ...sourceFiles(join(SRC, 'sdk', 'shared'))];
    expect(client.flatMap(runtimePackages)).toEqual([]);
    expect([...new Set(sourceFiles(join(SRC, 'sdk', 'server')).flatMap(runtimePackages))]).toEqual(['jose']);
  });

  it('SPEC §11: a runtime import of server code from sdk/ is refused (type-only imports of http/schemas pass)', () => {
    const probe = join(SRC, '..', 'test', 'fixtures', 'sdk', 'import-probe.ts');
    const typeOnly = typeOnlyImports(probe);
    expect(relativeImports(probe).map((spec) => [spec, typeOnly.has(spec)])).toEqual([
      ['../../../src/http/schemas/sessions.js', true],
      ['../../../src/http/schemas/common.js', false],
    ]);
  });

  it('STYLE §8: no process.env outside config/ and the CLI entry', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !relative(SRC, file).startsWith('config/') && relative(SRC, file) !== 'cli/main.ts')
      .filter((file) => readFileSync(file, 'utf8').includes('process.env'));
    expect(offenders).toEqual([]);
  });
});
