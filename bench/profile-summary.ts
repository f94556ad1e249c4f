// Summarizes a V8 CPU profile (`npm run bench -- --cpu-prof` writes them to bench/results/profiles/):
// self time by package and by function, and inclusive time by function — what docs/benchmarks.md
// "What dominates" is read from.
//   npx tsx bench/profile-summary.ts bench/results/profiles/sqlite [rows]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [target = 'bench/results/profiles/sqlite', rowsArg = '30'] = process.argv.slice(2);
const rows = Number(rowsArg);
// The newest profile in a directory, or the file given.
const file = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  : target;
if (!file) throw new Error(`no .cpuprofile in ${target}`);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const label = ({ functionName, url, lineNumber }: ProfileNode['callFrame']) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')}:${lineNumber + 1}`;
const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (/\/dist\/([^/]+)/.exec(url)?.[1] ? `latchkey/${/\/dist\/([^/]+)/.exec(url)![1]}` : url || '(native)');

const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value);
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, time] of self) {
  const frame = byId.get(id)!.callFrame;
  add(selfByFunction, label(frame), time);
  add(selfByPackage, packageOf(frame.url), time);
  // Each function once per sample, however deep its recursion.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const key = label(byId.get(at)!.callFrame);
    if (!seen.has(key)) add(inclusive, key, time);
    seen.add(key);
  }
}

const table = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(6)} %  ${key}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
table('self time by package', selfByPackage);
table('self time by function', selfByFunction);
table('inclusive time by function', inclusive);
