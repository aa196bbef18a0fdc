import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The visualizer workspace folder. */
export const VISUALIZER_DIR = join(__dirname, '..');
export const DIST_DIR = join(VISUALIZER_DIR, 'dist');

/** What the page is built from: its sources, the vite config and the protocol package (API schemas, contract ABI). */
const INPUTS = [
  join(VISUALIZER_DIR, 'src'),
  join(VISUALIZER_DIR, 'index.html'),
  join(VISUALIZER_DIR, 'vite.config.mjs'),
  join(VISUALIZER_DIR, '..', 'client-lib', 'protocol', 'src'),
];

/** True when dist/ is missing or older than any input. */
export async function needsBuild(): Promise<boolean> {
  const built = await stat(join(DIST_DIR, 'index.html')).catch(() => null);
  if (!built) return true;
  for (const input of INPUTS) {
    if ((await newestMtime(input)) > built.mtimeMs) return true;
  }
  return false;
}

/** Runs `vite build` in a child process (vite is ESM-only, and a child keeps jest's module system out of it). */
export async function build({ quiet = false } = {}): Promise<void> {
  const viteBin = join(dirname(require.resolve('vite')), '..', '..', 'bin', 'vite.js');
  const child = spawn(process.execPath, [viteBin, 'build', VISUALIZER_DIR, '--logLevel', quiet ? 'error' : 'info'], {
    cwd: VISUALIZER_DIR,
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((ok, fail) => {
    child.once('error', fail);
    child.once('exit', ok);
  });
  if (code !== 0) throw new Error(`vite build failed (exit ${code})${output ? `:\n${output}` : ''}`);
}

export async function buildIfNeeded(opts: { quiet?: boolean; force?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !(await needsBuild())) return false;
  // An installation without the build tools (the visualizer image ships a built page) serves what it has.
  if (!opts.force && !viteInstalled() && (await stat(join(DIST_DIR, 'index.html')).catch(() => null))) return false;
  await build(opts);
  return true;
}

function viteInstalled(): boolean {
  try {
    require.resolve('vite');
    return true;
  } catch {
    return false;
  }
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}
