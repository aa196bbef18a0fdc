/** Deploys the thesis stack on a Swarm lab and finds its services' published ports. */
import path from 'node:path';
import { freshEnv, parseEnvFile } from '../docker/env';
import type { SwarmLab } from './lab';
import { serviceAddress, stackState, type ServiceState } from './stack';
import { setAvailability } from './swarm';
import {
  ROLE,
  THESIS_ONE_SHOTS,
  THESIS_SERVICES,
  THESIS_STACK_FILE,
  THESIS_STATELESS,
  newAdminToken,
  thesisPort,
  thesisSecrets,
  thesisStackEnv,
  writeSecretFiles,
  type ThesisSettings,
} from './thesis';
import { waitFor } from './wait';

export interface ThesisDeployOptions {
  stack?: string;
  /** Keys, tokens and settings; default fresh keys and tokens (scripts/docker/env.ts) and a fresh admin token. */
  settings?: ThesisSettings;
  /** Values that win over the settings, e.g. { CHALLENGE_PERIOD: '2' }. */
  overrides?: ThesisSettings;
  /**
   * Start the stateless services (random-number, public) on this node (an engine name): the other services
   * nodes are paused until Swarm has placed them, then made active again. Swarm's own choice between equally
   * loaded nodes is arbitrary; a test that kills the node under them needs to know which one it is.
   */
  statelessOn?: string;
  timeoutMs?: number;
}

export interface ThesisDeployment {
  stack: string;
  settings: ThesisSettings;
  services: ServiceState[];
  /** http://<address of the node running the service>:<its port><path> */
  url(service: 'chain' | 'random-number' | 'persistence' | 'public', route?: string): Promise<string>;
  /** The node (engine name) that runs the service now. */
  nodeOf(service: string): Promise<string>;
}

export async function deployThesis(lab: SwarmLab, opts: ThesisDeployOptions = {}): Promise<ThesisDeployment> {
  const stack = opts.stack ?? 'thesis';
  const settings: ThesisSettings = {
    ...(opts.settings ?? { ...parseEnvFile(freshEnv()), ADMIN_TOKEN: newAdminToken() }),
    ...opts.overrides,
  };
  const secretsDir = path.join(lab.state.dir, `secrets-${stack}`);
  writeSecretFiles(secretsDir, thesisSecrets(settings));
  const env = thesisStackEnv(settings, secretsDir);

  const engineOfNode = new Map([...lab.nodeIds].map(([name, id]) => [id, name]));
  const paused: string[] = [];
  if (opts.statelessOn) {
    const target = lab.nodeId(opts.statelessOn);
    for (const e of lab.engines) {
      const id = lab.nodeId(e.name);
      if (id !== target && (await lab.manager.client.getNode(id).inspect()).Spec?.Labels?.[ROLE] === 'services') paused.push(id);
    }
    for (const id of paused) await setAvailability(lab.manager, id, 'pause');
  }
  await lab.deploy({ name: stack, file: THESIS_STACK_FILE, env });
  if (paused.length) {
    await waitFor(
      `${THESIS_STATELESS.join(', ')} placed on ${opts.statelessOn}`,
      async () => {
        const state = await stackState(lab.manager, stack);
        const placed = THESIS_STATELESS.every((name) =>
          state.find((s) => s.name === name)?.tasks.some((t) => t.nodeId === lab.nodeId(opts.statelessOn!)),
        );
        return placed ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    for (const id of paused) await setAvailability(lab.manager, id, 'active');
  }
  const services = await lab.waitForStack(stack, {
    expect: THESIS_SERVICES,
    oneShots: THESIS_ONE_SHOTS,
    timeoutMs: opts.timeoutMs ?? 150_000,
  });
  return {
    stack,
    settings,
    services,
    url: async (service, route = '') =>
      `http://${(await serviceAddress(lab.manager, stack, service)).address}:${thesisPort(settings, service)}${route}`,
    nodeOf: async (service) => engineOfNode.get((await serviceAddress(lab.manager, stack, service)).nodeId) ?? 'unknown',
  };
}
