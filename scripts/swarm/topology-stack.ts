/**
 * A topology on a Swarm: its stack file rendered (scripts/topology/src/compose/stack.ts) and written to disk,
 * its secrets written one file each (mode 600, in a folder of mode 700), `docker stack deploy`, and a bounded wait
 * until every service runs healthy and the one-shot deploy has completed. Used by `npm run scenario -- swarm`
 * (on the current engine) and by the lab's tests (on the lab's manager).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ResolvedTopology,
  freshStackSettings,
  loadTopology,
  secretValues,
  stackEnv,
  stackFile,
  writeSecretFiles,
} from '@chanpay/topology';
import type { StackFile } from '@chanpay/topology';
import { commandOf as composeCommandOf } from '../topology/src/cli/compose';
import { REPO } from '../docker/context';
import type { DockerEndpoint } from './engine';
import { deployStack, serviceAddress, waitForStack, type ServiceState } from './stack';

export interface StackSpec {
  /** A topology file or a generator (`thesis`, `chain:3`). */
  topology: string;
  /** false: the services only, PAYMENT=off (no chain, no payment server). Default true. */
  paid?: boolean;
  /** The payment mode of every edge (default the topology's). */
  mode?: 'local' | 'remote';
  /** The challenge period (s) of every paid edge (rendered into the file: the workers' configurations hold it). */
  challengePeriod?: number;
  /** Where the stack file is written (default compose/). */
  outDir?: string;
  /** The folder of the secret files (default <outDir>/.swarm-secrets/<stack>). */
  secretsDir?: string;
  /** Keys, tokens and settings; default: those kept from the last run of this stack, else fresh ones. */
  settings?: Record<string, string>;
  /** Values that win over the settings, e.g. { CHALLENGE_PERIOD: '2' }. */
  overrides?: Record<string, string>;
  /** The command quoted in the file's header. */
  command?: string;
  /** The stack's name (default the topology's). */
  stack?: string;
}

export interface PreparedStack {
  name: string;
  topology: ResolvedTopology;
  stack: StackFile;
  /** The stack file on disk. */
  file: string;
  settings: Record<string, string>;
  secretsDir: string;
  /** What `docker stack deploy` needs in its environment. */
  env: Record<string, string>;
}

/** The settings file beside the secrets: a redeploy reuses them (Swarm secrets cannot change in place). */
const settingsFile = (secretsDir: string) => path.join(secretsDir, 'settings.json');

/** Renders the stack, writes it and its secrets; nothing is deployed yet. */
export function prepareStack(spec: StackSpec): PreparedStack {
  const paid = spec.paid !== false;
  const topology = loadTopology(spec.topology, {
    overrides: paid ? { mode: spec.mode, challengePeriod: spec.challengePeriod } : { mode: 'off' },
  });
  const outDir = path.resolve(spec.outDir ?? path.join(REPO, 'compose'));
  const rel = path.relative(REPO, outDir);
  const where = rel.startsWith('..') ? outDir : rel || '.';
  // The header names the command that regenerates the file: npm run compose's when it makes the same file (so
  // that a deploy of the thesis leaves compose/docker-stack.thesis.yml as committed), else this command.
  const command =
    spec.command ??
    (paid && !spec.challengePeriod
      ? composeCommandOf({ topology: spec.topology, mode: spec.mode, out: outDir })
      : `npm run scenario -- swarm --topology ${spec.topology}${paid ? '' : ' --no-payment'}${spec.mode ? ` --mode ${spec.mode}` : ''}${spec.challengePeriod ? ` --challenge-period ${spec.challengePeriod}` : ''}`);
  const stack = stackFile(topology, { command, outDir: where, paid });
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, paid ? stack.name : stack.name.replace(/\.yml$/, '.no-payment.yml'));
  writeFileSync(file, stack.text);
  const name = spec.stack ?? topology.name;
  const secretsDir = path.resolve(spec.secretsDir ?? path.join(outDir, '.swarm-secrets', name));
  const kept = existsSync(settingsFile(secretsDir))
    ? (JSON.parse(readFileSync(settingsFile(secretsDir), 'utf8')) as Record<string, string>)
    : undefined;
  const settings = { ...freshStackSettings(stack), ...(spec.settings ?? kept), ...spec.overrides };
  writeSecretFiles(secretsDir, secretValues(stack, settings));
  writeFileSync(settingsFile(secretsDir), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  return { name, topology, stack, file, settings, secretsDir, env: stackEnv(stack, settings, secretsDir) };
}

export interface StackDeployment extends PreparedStack {
  services: ServiceState[];
  /** http://<address of the node that runs the service>:<its port><route> (host-mode ports). */
  url(service: string, route?: string): Promise<string>;
  /** The Swarm node id that runs the service now. */
  nodeIdOf(service: string): Promise<string>;
}

/** The port a service listens on (and publishes, on the node that runs it): the setting, else the file's default. */
export function portOf(p: PreparedStack, service: string): number {
  const stem = service.toUpperCase().replace(/-/g, '_');
  const fallback = p.stack.ports.get(service);
  if (fallback === undefined) throw new Error(`the stack has no service ${service}`);
  return Number(p.settings[`${stem}_PORT`] || fallback);
}

/** `docker stack deploy` and the bounded wait until it is healthy. */
export async function deployPrepared(
  manager: DockerEndpoint,
  p: PreparedStack,
  opts: {
    timeoutMs?: number;
    onProgress?: (line: string) => void;
    deploy?: (file: string, env: Record<string, string>) => Promise<void>;
  } = {},
): Promise<StackDeployment> {
  const { name } = p;
  if (opts.deploy) await opts.deploy(p.file, p.env);
  else await deployStack(manager, { name, file: p.file, env: p.env });
  const services = await waitForStack(manager, name, {
    expect: p.stack.services,
    oneShots: p.stack.oneShots,
    timeoutMs: opts.timeoutMs ?? 180_000,
    onProgress: opts.onProgress,
  });
  return {
    ...p,
    services,
    url: async (service, route = '') => `http://${(await serviceAddress(manager, name, service)).address}:${portOf(p, service)}${route}`,
    nodeIdOf: async (service) => (await serviceAddress(manager, name, service)).nodeId,
  };
}
