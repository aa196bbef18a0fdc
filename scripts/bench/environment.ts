/** What the results were measured on: machine, load, versions and commit, recorded with every run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Environment {
  hostname: string;
  platform: string;
  kernel: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverageAtStart: number[];
  versions: Record<string, string>;
  commit: { sha: string; dirty: boolean; describe: string } | null;
}

/** The installed version, read from the package's own package.json (some packages do not export that file). */
function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name, { paths: [ROOT] }));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        /* not here */
      }
      dir = path.dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return 'unknown';
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function describeEnvironment(): Environment {
  const sha = git(['rev-parse', 'HEAD']);
  const status = git(['status', '--porcelain']);
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    kernel: os.release(),
    arch: os.arch(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    versions: {
      node: process.version,
      chanpay: (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      ganache: packageVersion('ganache'),
      ethers: packageVersion('ethers'),
      koa: packageVersion('koa'),
      secp256k1: packageVersion('secp256k1'),
      'better-sqlite3': packageVersion('better-sqlite3'),
      typescript: packageVersion('typescript'),
    },
    commit: sha ? { sha, dirty: (status ?? '') !== '', describe: git(['log', '-1', '--format=%h %s']) ?? sha.slice(0, 7) } : null,
  };
}
