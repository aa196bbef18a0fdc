/**
 * A .ts entry as one CommonJS file that plain `node` runs: the entry and every workspace module it reaches bundled
 * by esbuild, the npm packages left to `require` (native addons, instrumentation hooks and their own files work
 * as they do under tsx). A child started this way holds no TypeScript loader: under tsx each payment server and
 * service kept 20–35 MB more RSS and a 30 MB higher start-up peak (`npm run bench:memory`, docs/benchmarks.md).
 *
 * Built on the first start of an entry in this process, from the sources as they are then (never a stale
 * build: 0.1–0.2 s per entry), into node_modules/.cache/chanpay-js/ under the entry's own path, so that code
 * naming itself from `process.argv[1]` (the tracing's service name) sees the same directories. An entry whose
 * own modules name their own location (the CommonJS and ESM names for it, which a bundle would change) is not
 * bundled: `compiledEntry` answers null and the caller runs it with tsx.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

const OUT_DIR = ['node_modules', '.cache', 'chanpay-js'];

const built = new Map<string, string | null>();

/** Every installed npm package as an esbuild external (`@scope/*` for a scope), except the workspace's own @chanpay. */
function npmPackages(repoRoot: string): string[] {
  const dir = path.join(repoRoot, 'node_modules');
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && name !== '@chanpay')
    .map((name) => (name.startsWith('@') ? `${name}/*` : name));
}

/** Whether a first-party module refers to its own location, which bundling would move. */
function usesOwnLocation(file: string): boolean {
  return /\b(__dirname|__filename|import\.meta)\b/.test(readFileSync(file, 'utf8'));
}

/**
 * The bundle of `entry` (relative to `repoRoot`), built once per process; null when the entry must run from
 * its sources (see above).
 */
export function compiledEntry(repoRoot: string, entry: string): string | null {
  const known = built.get(entry);
  if (known !== undefined) return known;
  const outfile = path.join(repoRoot, ...OUT_DIR, entry.replace(/\.[cm]?tsx?$/, '.cjs'));
  const result = buildSync({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    external: npmPackages(repoRoot),
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const own = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  if (own.some((f) => usesOwnLocation(path.join(repoRoot, f)))) {
    built.set(entry, null);
    return null;
  }
  mkdirSync(path.dirname(outfile), { recursive: true });
  // Written beside and renamed: another process starting the same entry never reads half a file.
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  built.set(entry, outfile);
  return outfile;
}
