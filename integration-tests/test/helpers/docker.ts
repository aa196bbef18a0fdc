/**
 * For the tests that need a Docker engine: a synchronous check (jest needs to know before it declares the tests)
 * that turns a missing engine into one clear skip line, and the images built once per run.
 */
import { spawnSync } from 'node:child_process';
import { buildImages } from '../../../scripts/docker/images';

function socketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

/** Why the Docker tests cannot run here, or null. Asks the engine's /_ping (2 s at most). */
export function dockerSkipReason(needsCompose = false): string | null {
  if (process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith('unix://'))
    return `DOCKER_HOST=${process.env.DOCKER_HOST} is not a unix socket`;
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `require('http').get({ socketPath: process.argv[1], path: '/_ping', timeout: 2000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))`,
      socketPath(),
    ],
    { timeout: 5000 },
  );
  if (probe.status !== 0) return `no Docker engine answers on ${socketPath()} (bash .ci/setup-docker.sh starts one)`;
  if (needsCompose) {
    const v1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    const v2 = v1 || spawnSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
    if (!v2) return 'no docker-compose or docker compose plugin (bash .ci/setup-docker.sh installs docker-compose)';
  }
  return null;
}

/** `describe`, or `describe.skip` after one stderr line saying why. */
export function describeWithDocker(what: string, opts: { compose?: boolean } = {}): jest.Describe {
  const reason = dockerSkipReason(opts.compose);
  if (reason) process.stderr.write(`${what} skipped: ${reason}\n`);
  return reason ? describe.skip : describe;
}

/** Builds the images (layer-cached: a few seconds when nothing changed), so the tests run the current code. */
export async function ensureImages(): Promise<void> {
  await buildImages();
}
