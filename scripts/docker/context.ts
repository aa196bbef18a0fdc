/**
 * Stages the Docker build context for DEPS=host builds: the sources the images run plus this machine's installed
 * runtime dependencies (pruned, see deps.ts) as docker/prebuilt/node_modules.tar. A build from the repository
 * itself (DEPS=npm, the default for users with the official node image) needs none of this.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeRuntimeTar } from './deps';

export const REPO = path.resolve(__dirname, '..', '..');

/** What any image copies from the context (see docker/Dockerfile). */
const SOURCES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'tsconfig.browser.json',
  'client-lib/telemetry/package.json',
  'client-lib/telemetry/src',
  'client-lib/protocol/package.json',
  'client-lib/protocol/src',
  'client-lib/package.json',
  'scripts/devkit/package.json',
  'client-lib/src',
  'payment-server/package.json',
  'payment-server/src',
  'services/random-number/package.json',
  'services/random-number/src',
  'services/persistence/package.json',
  'services/persistence/src',
  'services/public/package.json',
  'services/public/src',
  'services/worker/package.json',
  'services/worker/src',
  'scripts/topology/package.json',
  'scripts/topology/src/proxy',
  'visualizer/package.json',
  'visualizer/serve.ts',
  'visualizer/server',
  'visualizer/dist',
  'visualizer/index.html',
  'visualizer/vite.config.mjs',
  'visualizer/src',
  'integration-tests/package.json',
  'integration-tests/src',
  'scripts/docker',
  'docker',
];

export interface StagedContext {
  dir: string;
  depsBytes: number;
}

/** Builds the visualizer page on this machine when its sources changed (the image serves the built page). */
export async function buildVisualizerIfNeeded(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildIfNeeded } = require(path.join(REPO, 'visualizer', 'server', 'build')) as typeof import('../../visualizer/server/build');
  await buildIfNeeded({ quiet: true });
}

export async function stageContext(dir: string): Promise<StagedContext> {
  await buildVisualizerIfNeeded();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const rel of SOURCES) {
    const from = path.join(REPO, rel);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(dir, rel), {
      recursive: true,
      filter: (src) => !/(^|\/)node_modules(\/|$)|\.db(-wal|-shm)?$|(^|\/)\.env$/.test(path.relative(REPO, src)),
    });
  }
  const { bytes } = writeRuntimeTar(REPO, path.join(dir, 'docker', 'prebuilt', 'node_modules.tar'));
  // The context carries no secrets: compose/.env is never copied, and the images read keys from the environment.
  writeFileSync(path.join(dir, '.dockerignore'), '');
  return { dir, depsBytes: bytes };
}
