/**
 * Deploys a topology's rendered stack on a Swarm lab (the thesis by default) and finds its services' published
 * ports. The stack file and its secrets go into the lab's folder, so that a test never writes into compose/.
 */
import path from 'node:path';
import type { SwarmLab } from './lab';
import { serviceAddress, stackState, type ServiceState } from './stack';
import { setAvailability } from './swarm';
import { portOf, prepareStack, type PreparedStack } from './topology-stack';
import { waitFor } from './wait';

export interface LabDeployOptions {
  /** A topology file or generator; default thesis (in remote mode, as compose/docker-stack.thesis.yml). */
  topology?: string;
  mode?: 'local' | 'remote';
  /** The challenge period (s) of every paid edge, rendered into the file. */
  challengePeriod?: number;
  stack?: string;
  /** Keys, tokens and settings; default fresh ones. */
  settings?: Record<string, string>;
  /** Values that win over the settings, e.g. { CHALLENGE_PERIOD: '2' }. */
  overrides?: Record<string, string>;
  /**
   * Start these services on this node (an engine name): the other services nodes are paused until Swarm has
   * placed them, then made active again. Swarm's own choice between equally loaded nodes is arbitrary; a test
   * that kills the node under them needs to know which one it is.
   */
  placeOn?: { node: string; services: readonly string[] };
  timeoutMs?: number;
}

export interface LabDeployment {
  stack: string;
  prepared: PreparedStack;
  settings: Record<string, string>;
  services: ServiceState[];
  /** http://<address of the node running the service>:<its port><path> */
  url(service: string, route?: string): Promise<string>;
  /** The node (engine name) that runs the service now. */
  nodeOf(service: string): Promise<string>;
}

/** For the thesis tests and `swarm-lab up`. */
export type ThesisDeployment = LabDeployment;

export async function deployOnLab(lab: SwarmLab, opts: LabDeployOptions = {}): Promise<LabDeployment> {
  const topology = opts.topology ?? 'thesis';
  const stack = opts.stack ?? (topology === 'thesis' ? 'thesis' : topology.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  const prepared = prepareStack({
    topology,
    mode: opts.mode ?? (topology === 'thesis' ? 'remote' : undefined),
    outDir: path.join(lab.state.dir, `stack-${stack}`),
    secretsDir: path.join(lab.state.dir, `secrets-${stack}`),
    settings: opts.settings,
    overrides: opts.overrides,
    stack,
  });

  const engineOfNode = new Map([...lab.nodeIds].map(([name, id]) => [id, name]));
  const paused: string[] = [];
  const place = opts.placeOn;
  if (place) {
    const target = lab.nodeId(place.node);
    const role = prepared.topology.placement.label;
    for (const e of lab.engines) {
      const id = lab.nodeId(e.name);
      if (id !== target && (await lab.manager.client.getNode(id).inspect()).Spec?.Labels?.[role] !== prepared.topology.placement.chain)
        paused.push(id);
    }
    for (const id of paused) await setAvailability(lab.manager, id, 'pause');
  }
  await lab.deploy({ name: stack, file: prepared.file, env: prepared.env });
  if (place && paused.length) {
    await waitFor(
      `${place.services.join(', ')} placed on ${place.node}`,
      async () => {
        const state = await stackState(lab.manager, stack);
        const placed = place.services.every((name) =>
          state.find((s) => s.name === name)?.tasks.some((t) => t.nodeId === lab.nodeId(place.node)),
        );
        return placed ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    for (const id of paused) await setAvailability(lab.manager, id, 'active');
  }
  const services = await lab.waitForStack(stack, {
    expect: prepared.stack.services,
    oneShots: prepared.stack.oneShots,
    timeoutMs: opts.timeoutMs ?? 150_000,
  });
  return {
    stack,
    prepared,
    settings: prepared.settings,
    services,
    url: async (service, route = '') =>
      `http://${(await serviceAddress(lab.manager, stack, service)).address}:${portOf(prepared, service)}${route}`,
    nodeOf: async (service) => engineOfNode.get((await serviceAddress(lab.manager, stack, service)).nodeId) ?? 'unknown',
  };
}

/** The thesis stack, with random-number and public started on `statelessOn` when given. */
export function deployThesis(
  lab: SwarmLab,
  opts: Omit<LabDeployOptions, 'topology' | 'placeOn'> & { statelessOn?: string } = {},
): Promise<LabDeployment> {
  const { statelessOn, ...rest } = opts;
  return deployOnLab(lab, { ...rest, placeOn: statelessOn ? { node: statelessOn, services: ['random-number', 'public'] } : undefined });
}
