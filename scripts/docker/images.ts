/**
 * Builds the project images with dockerode from one staged context (DEPS=host on the local node base image, see
 * docker/Dockerfile). Every target shares the install and runtime stages, so after the first the builds are
 * mostly cache hits. The PostgreSQL image of the scenarios that keep state in PostgreSQL (docker/postgres/) is
 * built on the local base made from Debian's postgresql package (docker/postgres/make-base.sh), or on
 * CHANPAY_POSTGRES_IMAGE (e.g. the official postgres:15-bookworm where a registry is reachable).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { postgresBinDir } from '@chanpay/devkit';
import { docker } from './engine';
import { REPO, stageContext } from './context';

export const TARGETS = [
  'payment-server',
  'chain',
  'random-number',
  'persistence',
  'public',
  'worker',
  'integration-test',
  'visualizer',
  'proxy',
  'postgres',
] as const;
export type Target = (typeof TARGETS)[number];

export const imageTag = (target: Target, tag = process.env.CHANPAY_TAG || 'latest') => `chanpay/${target}:${tag}`;

export interface BuildOptions {
  targets?: readonly Target[];
  /** Base image; default local/node-base:<this node's major>, made by docker/make-node-base.sh when missing. */
  nodeImage?: string;
  /** Base of the postgres target; default CHANPAY_POSTGRES_IMAGE, else local/postgres-base:<major> (make-base.sh). */
  postgresImage?: string;
  log?: (line: string) => void;
}

export const localBaseImage = () => `local/node-base:${process.versions.node.split('.')[0]}`;

/** local/postgres-base:<major of this machine's PostgreSQL>, or undefined when its server programs are missing. */
export function localPostgresBaseImage(): string | undefined {
  const bin = postgresBinDir();
  return bin ? `local/postgres-base:${path.basename(path.dirname(bin))}` : undefined;
}

/** Makes the local PostgreSQL base when it is the one asked for; the reason it cannot, or undefined. */
function ensurePostgresBase(image: string, log: (line: string) => void): string | undefined {
  if (!image.startsWith('local/postgres-base:')) return undefined;
  if (image !== localPostgresBaseImage()) return `${image} cannot be made here (no PostgreSQL of that major: .ci/setup-postgres.sh)`;
  const r = spawnSync('bash', [path.join(REPO, 'docker', 'postgres', 'make-base.sh')], { encoding: 'utf8' });
  if (r.status !== 0) return `docker/postgres/make-base.sh failed: ${(r.stderr || r.stdout).trim()}`;
  log(r.stdout.trim());
  return undefined;
}

function ensureLocalBase(image: string, log: (line: string) => void): void {
  if (image !== localBaseImage()) return;
  const r = spawnSync('bash', [path.join(REPO, 'docker', 'make-node-base.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker/make-node-base.sh failed: ${(r.stderr || r.stdout).trim()}`);
  log(r.stdout.trim());
}

/** Builds one target from the staged context; rejects with the builder's error message. */
async function buildTarget(
  contextDir: string,
  target: Target,
  bases: { nodeImage: string; postgresImage: string },
  log: (line: string) => void,
): Promise<void> {
  await buildFromContext(
    contextDir,
    {
      ...(target === 'postgres'
        ? { dockerfile: 'docker/postgres/Dockerfile', buildargs: { POSTGRES_IMAGE: bases.postgresImage } }
        : {
            dockerfile: 'docker/Dockerfile',
            target,
            buildargs: { NODE_IMAGE: bases.nodeImage, NODE_BUILD_IMAGE: bases.nodeImage, DEPS: 'host' },
          }),
      t: imageTag(target),
      labels: { 'chanpay.target': target },
    },
    target,
    log,
  );
}

/** One `docker build` of a folder (sent as a plain tar); rejects with the builder's error message and its last lines. */
export async function buildFromContext(
  contextDir: string,
  options: Docker.ImageBuildOptions & { t: string },
  label: string,
  log: (line: string) => void,
): Promise<void> {
  // A plain tar (symlinks kept, no gzip) is the fastest context upload for the ~80 MB of dependencies.
  const tar = spawn('tar', ['-C', contextDir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stream = await docker().buildImage(tar.stdout, { rm: true, forcerm: true, ...options });
  let failure: string | undefined;
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
        for (const line of (event.stream ?? '').split('\n')) {
          if (!line.trim()) continue;
          tail.push(line.trimEnd());
          if (tail.length > 20) tail.shift();
          log(`[${label}] ${line.trimEnd()}`);
        }
      },
    );
  });
  if (failure) throw new Error(`building ${options.t} failed: ${failure}\n${tail.join('\n')}`);
}

const LOCK_DIR = path.join(os.tmpdir(), 'chanpay-docker-build.lock');

/** One build at a time on this machine (tests in parallel workers, a scenario run): they share the staged context. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      const age = Date.now() - (statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) rmSync(LOCK_DIR, { recursive: true, force: true }); // left by a killed build
      if (Date.now() > deadline) throw new Error(`another image build holds ${LOCK_DIR} for more than 10 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

export function buildImages(opts: BuildOptions = {}): Promise<{ seconds: number }> {
  return withBuildLock(() => buildUnlocked(opts));
}

async function buildUnlocked(opts: BuildOptions): Promise<{ seconds: number }> {
  const log = opts.log ?? (() => undefined);
  const nodeImage = opts.nodeImage ?? process.env.CHANPAY_NODE_IMAGE ?? localBaseImage();
  const postgresImage =
    opts.postgresImage ?? process.env.CHANPAY_POSTGRES_IMAGE ?? localPostgresBaseImage() ?? 'local/postgres-base:(no PostgreSQL here)';
  const started = Date.now();
  ensureLocalBase(nodeImage, log);
  let targets = opts.targets ?? TARGETS;
  if (targets.includes('postgres')) {
    const why = ensurePostgresBase(postgresImage, log);
    // Asked for by name: an error. In the default set: the others are built and the scenarios needing it say why.
    if (why && opts.targets) throw new Error(`cannot build ${imageTag('postgres')}: ${why}`);
    if (why) {
      log(`skipping ${imageTag('postgres')}: ${why}`);
      targets = targets.filter((t) => t !== 'postgres');
    }
  }
  const staged = await stageContext(path.join(os.tmpdir(), 'chanpay-docker-context'));
  log(`staged build context (${Math.round(staged.depsBytes / 1e6)} MB of runtime dependencies) in ${staged.dir}`);
  for (const target of targets) {
    const t0 = Date.now();
    await buildTarget(staged.dir, target, { nodeImage, postgresImage }, log);
    log(`built ${imageTag(target)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  // The previous builds of these tags, now untagged.
  await docker()
    .pruneImages({ filters: { dangling: ['true'], label: ['chanpay.target'] } })
    .catch(() => undefined);
  return { seconds: (Date.now() - started) / 1000 };
}

/** Size of each image as `docker images` reports it (shared layers counted in each). */
export async function imageSizes(): Promise<{ image: string; mb: number }[]> {
  const out: { image: string; mb: number }[] = [];
  for (const t of TARGETS) {
    try {
      const info = await docker().getImage(imageTag(t)).inspect();
      out.push({ image: imageTag(t), mb: Math.round(info.Size / 1e5) / 10 });
    } catch {
      /* not built */
    }
  }
  return out;
}
