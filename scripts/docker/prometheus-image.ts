/**
 * The Prometheus image of the `metrics` scenario (docker/prometheus.Dockerfile): on the local base made from this
 * machine's prometheus program (docker/make-prometheus-base.sh) where no registry is reachable, or on Debian's
 * image with its package (CHANPAY_PROMETHEUS_BASE=debian:bookworm-slim, and the default on a machine without a
 * prometheus program: that needs Debian's image and mirror). Its context is the two files it copies.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './context';
import { buildFromContext } from './images';

export const DEBIAN_BASE = 'debian:bookworm-slim';

/** This machine has a prometheus program to make the local base from. */
export const hasPrometheusProgram = (): boolean =>
  spawnSync(process.env.PROMETHEUS_BIN || 'prometheus', ['--version'], { stdio: 'ignore' }).status === 0;

export const prometheusImageTag = (tag = process.env.CHANPAY_TAG || 'latest') => `chanpay/prometheus:${tag}`;

/** Makes local/prometheus-base:<version> when missing; its name. */
function ensureLocalBase(log: (line: string) => void): string {
  const r = spawnSync('bash', [path.join(REPO, 'docker', 'make-prometheus-base.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker/make-prometheus-base.sh failed: ${(r.stderr || r.stdout).trim()}`);
  log(r.stdout.trim());
  const tag = /(local\/prometheus-base:\S+)/.exec(r.stdout)?.[1];
  if (!tag) throw new Error(`docker/make-prometheus-base.sh named no image: ${r.stdout.trim()}`);
  return tag;
}

export async function buildPrometheusImage(opts: { log?: (line: string) => void } = {}): Promise<{ seconds: number; base: string }> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const given = process.env.CHANPAY_PROMETHEUS_BASE || (hasPrometheusProgram() ? undefined : DEBIAN_BASE);
  const base = given ?? ensureLocalBase(log);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-prometheus-context-'));
  try {
    mkdirSync(path.join(dir, 'docker'));
    for (const f of ['prometheus.Dockerfile', 'prometheus-entrypoint.sh'])
      copyFileSync(path.join(REPO, 'docker', f), path.join(dir, 'docker', f));
    await buildFromContext(
      dir,
      {
        dockerfile: 'docker/prometheus.Dockerfile',
        t: prometheusImageTag(),
        buildargs: { PROMETHEUS_BASE: base, PROMETHEUS_FROM: given ? 'apt' : 'base' },
        labels: { 'chanpay.target': 'prometheus' },
      },
      'prometheus',
      log,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`built ${prometheusImageTag()} on ${base}`);
  return { seconds: (Date.now() - started) / 1000, base };
}
