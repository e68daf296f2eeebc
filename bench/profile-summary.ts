import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --profile`, or any `node --cpu-prof`):
 * self time by function and by file (package), the top entries, as plain text.
 *
 *   node bench/profile-summary.ts bench/results/profiles/gatehouse-sqlite.cpuprofile [top]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function summariseProfile(path: string, top = 25): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^file:\/\//, '');
    const shortFile = file === '' ? '' : relative(process.cwd(), file);
    const name = `${frame.functionName || '(anonymous)'} ${shortFile}${file === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byArea.set(
      area(shortFile, frame.functionName),
      (byArea.get(area(shortFile, frame.functionName)) ?? 0) + micros,
    );
  }
  const lines: string[] = [`${path}: ${(total / 1e6).toFixed(1)} s sampled`];
  const table = (title: string, entries: Map<string, number>, count: number) => {
    lines.push('', title);
    for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
      lines.push(`  ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
    }
  };
  table('self time by area', byArea, 15);
  table('self time by function', byFunction, top);
  return lines.join('\n');
}

/** The package or part a file belongs to: node_modules/<pkg>, packages/<pkg>, node:internal, V8. */
function area(file: string, functionName: string): string {
  if (file === '') return functionName.startsWith('(') ? functionName : '(native)';
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (module) return module[1]!;
  const workspace = /packages\/([^/]+)\/src\/([^/]+)/.exec(file);
  if (workspace) return `@gatehouse-oauth/${workspace[1]} ${workspace[2]}`;
  if (file.startsWith('node:')) return file.split('/').slice(0, 2).join('/');
  return file;
}

if (import.meta.main) {
  const [path, top] = process.argv.slice(2);
  if (path === undefined) {
    process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfile(path, top === undefined ? 25 : Number(top))}\n`);
}
