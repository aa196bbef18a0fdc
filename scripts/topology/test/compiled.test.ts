/** Entries run as compiled JavaScript (compiled.ts, processes.ts): real esbuild bundles run by a real `node`. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compiledEntry } from '../src/builder/compiled';
import { DEFAULT_NODE_FLAGS, REPO_ROOT, defaultNodeFlags, nodeArgsFor } from '../src/builder/processes';

const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

test('a workspace entry bundled: plain node runs it, its workspace imports inside, and it prints what tsx prints', () => {
  const entry = 'services/worker/src/main.ts';
  const args = nodeArgsFor(entry, false);
  expect(args).toEqual([path.join(REPO_ROOT, 'node_modules', '.cache', 'chanpay-js', 'services', 'worker', 'src', 'main.cjs')]);
  expect(existsSync(`${args[0]}.map`)).toBe(true);
  const compiledHelp = run([...args, '--help']);
  expect(compiledHelp).toContain('WORKER_CONFIG');
  expect(run([...nodeArgsFor(entry, true), '--help'])).toBe(compiledHelp);
}, 60_000);

test('CHANPAY_RUN_TS=1 (runTs) runs the sources with tsx', () => {
  expect(nodeArgsFor('payment-server/src/main.ts', true)).toEqual(['--import', 'tsx', path.join(REPO_ROOT, 'payment-server/src/main.ts')]);
});

describe('in a repository of its own', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'chanpay-compiled-'));
    mkdirSync(path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'lib.ts'), 'export const twice = (n: number): number => n * 2;\n');
    writeFileSync(path.join(root, 'main.ts'), "import { twice } from './lib';\nconsole.log(`${twice(21)} ${process.argv[1]}`);\n");
    writeFileSync(path.join(root, 'where.ts'), "import { twice } from './lib';\nconsole.log(twice(1), __dirname);\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('bundles the entry with its modules and keeps its path under node_modules/.cache/chanpay-js', () => {
    const out = compiledEntry(root, 'main.ts');
    expect(out).toBe(path.join(root, 'node_modules', '.cache', 'chanpay-js', 'main.cjs'));
    expect(execFileSync(process.execPath, [out!], { encoding: 'utf8' }).trim()).toBe(`42 ${out}`);
  });

  test('an entry whose modules name their own directory is not bundled (null: run it from its sources)', () => {
    expect(compiledEntry(root, 'where.ts')).toBeNull();
    expect(existsSync(path.join(root, 'node_modules', '.cache', 'chanpay-js', 'where.cjs'))).toBe(false);
  });
});

describe('the V8 flags of a network', () => {
  const newSpaceAfterGarbage = (flags: readonly string[]) =>
    Number(
      execFileSync(
        process.execPath,
        [
          ...flags,
          '-e',
          "let k = []; for (let i = 0; i < 2e6; i++) { k.push({ i }); if (k.length > 1e4) k = []; } console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)",
        ],
        { encoding: 'utf8', timeout: 30_000 },
      ),
    );

  test('are DEFAULT_NODE_FLAGS unless CHANPAY_NODE_FLAGS names others (empty: none)', () => {
    expect(defaultNodeFlags({})).toEqual(DEFAULT_NODE_FLAGS);
    expect(defaultNodeFlags({ CHANPAY_NODE_FLAGS: '' })).toEqual([]);
    expect(defaultNodeFlags({ CHANPAY_NODE_FLAGS: ' --max-semi-space-size=8  --optimize-for-size ' })).toEqual([
      '--max-semi-space-size=8',
      '--optimize-for-size',
    ]);
  });

  test('node accepts them, and they keep the young generation small where V8 alone grows it', () => {
    const capped = newSpaceAfterGarbage(DEFAULT_NODE_FLAGS);
    expect(capped).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(newSpaceAfterGarbage([])).toBeGreaterThan(capped);
  }, 60_000);
});
