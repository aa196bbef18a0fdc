/**
 * The hottest functions of V8 CPU profiles (`npm run bench -- --profile`), by self time and by inclusive time:
 *   npx tsx scripts/bench/profile-top.ts bench-results/<run>/profiles/local/public.cpuprofile [--top 25] [--match text]
 * `--match` keeps only functions whose name or file contains the text (e.g. client-lib).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';

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

const ROOT = path.resolve(__dirname, '..', '..');

function frameName(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
}

export function summarizeProfile(profile: Profile): { totalMs: number; self: Map<string, number>; inclusive: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + us / 1000);
    // Each frame on the stack once, however often it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = frameName(byId.get(cur)!);
      if (seen.has(f)) continue;
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + us / 1000);
    }
  }
  return { totalMs: total / 1000, self, inclusive };
}

const COMMAND = {
  command: 'npx tsx scripts/bench/profile-top.ts',
  positionals: '<file.cpuprofile>...',
  summary: 'The hottest functions of V8 CPU profiles (npm run bench -- --profile), by self time and by inclusive time.',
  options: {
    top: { type: 'string', value: '<n>', default: '25', description: 'functions to list per table' },
    match: { type: 'string', value: '<text>', description: 'only functions whose name or file contains the text (e.g. client-lib)' },
  },
} as const;

function main(): void {
  const { values, positionals, fail } = parseCommandLine(COMMAND);
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1) fail(`--top must be a positive integer, got "${values.top}"`);
  if (positionals.length === 0) fail('give one or more .cpuprofile files');
  for (const file of positionals) {
    const { totalMs, self, inclusive } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const keep = ([name]: [string, number]) => !values.match || name.includes(values.match);
    const show = (title: string, m: Map<string, number>) => {
      console.log(`\n${title}`);
      for (const [name, ms] of [...m.entries()]
        .filter(keep)
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)) {
        console.log(`${ms.toFixed(0).padStart(8)} ms ${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${name}`);
      }
    };
    console.log(`${file}: ${totalMs.toFixed(0)} ms sampled`);
    show('self time', self);
    show('inclusive time', inclusive);
  }
}

if (require.main === module) main();
