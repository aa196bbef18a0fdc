/**
 * The production dependency tree the images run on: every package the runtime components need (per
 * package-lock.json) plus tsx, minus files no process reads (docs, source maps, type declarations, native build
 * leftovers, other platforms' binaries). Used in two ways:
 * - `writeRuntimeTar(repo, file)`: archives the pruned tree of this machine's installed node_modules (DEPS=host);
 * - `tsx scripts/docker/deps.ts prune <dir>`: prunes a fresh `npm ci` in place (DEPS=npm, inside the build).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Workspaces whose code runs in an image (integration-tests' own deps are host-side tools: dockerode, testcontainers).
 * The devkit is there for its ganache: the chain image runs it as a standalone node.
 */
export const RUNTIME_WORKSPACES = [
  'telemetry',
  'client-lib/protocol',
  'client-lib',
  'payment-server',
  'scripts/devkit',
  'services/random-number',
  'services/persistence',
  'services/public',
  'services/worker',
  'visualizer',
];
/** Root devDependencies the images need too. */
export const RUNTIME_TOOLS = ['tsx'];

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readLock(repo: string): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
    lockfileVersion: number;
    packages?: Record<string, LockEntry>;
  };
  if (!lock.packages || lock.lockfileVersion < 2) throw new Error('package-lock.json must be lockfileVersion 2 or 3');
  return lock.packages;
}

/** Node's lookup: `<from>/node_modules/<name>`, then each parent folder's node_modules. */
function resolveKey(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const nested = dir.lastIndexOf('/node_modules/');
    dir = nested >= 0 ? dir.slice(0, nested) : dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
}

/**
 * Lockfile keys (`node_modules/…`) of the runtime closure, including the workspace links. Packages the lockfile
 * lists but that are not installed (other platforms' optional binaries) are left out when `installedIn` is given.
 */
export function runtimeClosure(repo: string, installedIn?: string): Set<string> {
  const packages = readLock(repo);
  const keep = new Set<string>();
  const visited = new Set<string>();
  const visit = (location: string) => {
    if (visited.has(location)) return;
    visited.add(location);
    const entry = packages[location];
    if (!entry) return;
    const wanted: string[] = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((p) => !entry.peerDependenciesMeta?.[p]?.optional),
    ];
    for (const name of wanted) {
      const key = resolveKey(packages, location, name);
      if (!key) continue; // an optional dependency for another platform
      if (installedIn && !existsSync(path.join(installedIn, key))) continue;
      keep.add(key);
      const target = packages[key]!;
      visit(target.link && target.resolved ? target.resolved : key);
    }
  };
  for (const ws of RUNTIME_WORKSPACES) visit(ws);
  packages[''] = { dependencies: Object.fromEntries(RUNTIME_TOOLS.map((t) => [t, '*'])) };
  visit('');
  // Every workspace link, so that any component can import any other by its package name.
  for (const [key, entry] of Object.entries(packages)) {
    if (entry.link && key.startsWith('node_modules/') && (!installedIn || existsSync(path.join(installedIn, key)))) keep.add(key);
  }
  return keep;
}

/** Files and folders of an installed package that no running process reads. */
function isDroppable(pkgKey: string, rel: string, isDir: boolean): boolean {
  const base = path.basename(rel);
  if (isDir) {
    if (rel === 'node_modules') return true; // nested packages are staged on their own, if they are in the closure
    if (pkgKey.endsWith('/ganache') && rel === path.join('dist', 'web')) return true;
    if (
      pkgKey.endsWith('/better-sqlite3') &&
      (rel === 'deps' ||
        rel === 'src' ||
        rel === path.join('build', 'Release', 'obj') ||
        rel === path.join('build', 'Release', 'obj.target') ||
        rel === path.join('build', 'Release', '.deps') ||
        rel === path.join('build', 'deps'))
    )
      return true;
    return false;
  }
  if (/\.(map|md|markdown|d\.ts|d\.mts|d\.cts|tsbuildinfo)$/i.test(base) && !/^licen[cs]e/i.test(base)) return true;
  if (pkgKey.endsWith('/better-sqlite3') && rel.startsWith('build' + path.sep) && !rel.endsWith('.node')) return true;
  // uWebSockets ships a binary per platform and Node ABI (and stray copies in dist/); src/uws.js loads
  // binaries/uws_<platform>_<arch>_<abi>.node, so keep that one.
  const uws = /^uws_(\w+?)_(\w+?)_(\d+)\.node$/.exec(base);
  if (uws)
    return !(
      path.dirname(rel) === 'binaries' &&
      uws[1] === process.platform &&
      uws[2] === process.arch &&
      uws[3] === process.versions.modules
    );
  return false;
}

/** Paths (relative to `repo`) of every folder, file and link of the pruned tree under `key`, parents first. */
function listTree(repo: string, key: string, rel: string, out: string[]): number {
  let bytes = 0;
  const dir = path.join(repo, key, rel);
  for (const name of readdirSync(dir).sort()) {
    const r = rel ? path.join(rel, name) : name;
    const st = lstatSync(path.join(dir, name));
    if (st.isDirectory()) {
      if (isDroppable(key, r, true)) continue;
      out.push(path.join(key, r));
      bytes += listTree(repo, key, r, out);
    } else if (!isDroppable(key, r, false)) {
      out.push(path.join(key, r));
      bytes += st.size;
    }
  }
  return bytes;
}

/** The files of the pruned runtime tree of `repo` (installed on this machine), sorted, for an archive. */
export function runtimeFiles(repo: string): { files: string[]; packages: number; bytes: number } {
  const keys = runtimeClosure(repo, repo);
  const files: string[] = [];
  const dirs = new Set<string>();
  let bytes = 0;
  for (const key of [...keys].sort()) {
    // Parent folders first, once each, so the archive recreates them (a tar made with --no-recursion).
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!dirs.has(parent)) {
        dirs.add(parent);
        files.push(parent);
      }
    }
    if (dirs.has(key)) continue;
    dirs.add(key);
    files.push(key);
    if (!lstatSync(path.join(repo, key)).isSymbolicLink()) bytes += listTree(repo, key, '', files);
  }
  return { files, packages: keys.size, bytes };
}

/**
 * Writes the pruned runtime tree as an uncompressed tar with fixed timestamps and owners, so that the same
 * dependencies give the same bytes and the Docker layer cache hits (one file uploads and hashes far faster
 * than thousands).
 */
export function writeRuntimeTar(repo: string, tarFile: string): { packages: number; bytes: number } {
  const { files, packages, bytes } = runtimeFiles(repo);
  const list = `${tarFile}.list`;
  writeFileSync(list, files.join('\0') + '\0');
  const r = spawnSync(
    'tar',
    ['-C', repo, '-cf', tarFile, '--no-recursion', '--null', '-T', list, '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'],
    { encoding: 'utf8' },
  );
  rmSync(list, { force: true });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.trim()}`);
  return { packages, bytes };
}

/** Deletes, in place, every installed package outside the runtime closure, and the droppable files of the rest. */
export function pruneInPlace(repo: string): { removed: number } {
  const keys = runtimeClosure(repo, repo);
  let removed = 0;
  const walk = (dir: string, prefix: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (name === '.bin' || name === '.package-lock.json') continue;
      if (name.startsWith('@')) {
        walk(path.join(dir, name), `${prefix}${name}/`);
        continue;
      }
      const key = `${prefix}${name}`;
      const full = path.join(dir, name);
      if (!keys.has(key)) {
        rmSync(full, { recursive: true, force: true });
        removed++;
        continue;
      }
      if (lstatSync(full).isSymbolicLink()) continue;
      pruneFiles(full, key);
      walk(path.join(full, 'node_modules'), `${key}/node_modules/`);
    }
  };
  walk(path.join(repo, 'node_modules'), 'node_modules/');
  rmSync(path.join(repo, 'node_modules', '.bin'), { recursive: true, force: true });
  return { removed };
}

function pruneFiles(dir: string, pkgKey: string, rel = ''): void {
  for (const name of readdirSync(dir)) {
    const r = rel ? path.join(rel, name) : name;
    if (r === 'node_modules') continue;
    const full = path.join(dir, name);
    const isDir = lstatSync(full).isDirectory();
    if (isDroppable(pkgKey, r, isDir)) rmSync(full, { recursive: true, force: true });
    else if (isDir) pruneFiles(full, pkgKey, r);
  }
}

if (require.main === module) {
  const [cmd, dir] = process.argv.slice(2);
  if (cmd === 'prune' && dir) {
    const { removed } = pruneInPlace(path.resolve(dir));
    console.log(`pruned ${removed} packages that the images do not run`);
  } else if (cmd === 'list') {
    for (const key of [...runtimeClosure(process.cwd(), process.cwd())].sort()) console.log(key);
  } else {
    console.error('usage: tsx scripts/docker/deps.ts prune <dir> | list');
    process.exit(2);
  }
}
