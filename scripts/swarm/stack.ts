/**
 * A stack on the lab's Swarm: `docker stack deploy`, the state of its services' tasks (through the manager's
 * API), a bounded wait until every service runs its replicas healthy (Swarm holds a task in `starting` until its
 * healthcheck passes) and every one-shot has completed, where each task runs, and `docker stack rm`.
 */
import type { DockerEndpoint } from './engine';
import { listNodes } from './swarm';
import { waitFor } from './wait';

export interface DeployOptions {
  name: string;
  file: string;
  /** Variables the stack file interpolates (`docker stack deploy` reads the shell's environment, no .env). */
  env?: Record<string, string>;
}

export interface TaskState {
  service: string;
  taskId: string;
  nodeId: string;
  state: string;
  desired: string;
  error: string;
  containerId: string;
  updatedAt: string;
}

export interface ServiceState {
  name: string;
  id: string;
  replicas: number;
  running: number;
  completed: number;
  tasks: TaskState[];
}

export async function deployStack(manager: DockerEndpoint, opts: DeployOptions): Promise<void> {
  await manager.docker(['stack', 'deploy', '--compose-file', opts.file, '--resolve-image', 'never', opts.name], {
    env: opts.env,
    timeoutMs: 120_000,
  });
}

/** Every service of the stack and its tasks (short names: `chain`, not `<stack>_chain`). */
export async function stackState(manager: DockerEndpoint, stack: string): Promise<ServiceState[]> {
  const services = (await manager.client.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })) as {
    ID: string;
    Spec: { Name: string; Mode?: { Replicated?: { Replicas?: number } } };
  }[];
  const tasks = (await manager.client.listTasks({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })) as {
    ID: string;
    ServiceID: string;
    NodeID?: string;
    DesiredState: string;
    UpdatedAt?: string;
    Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  }[];
  return services
    .map((s) => {
      const name = s.Spec.Name.startsWith(`${stack}_`) ? s.Spec.Name.slice(stack.length + 1) : s.Spec.Name;
      const own = tasks
        .filter((t) => t.ServiceID === s.ID)
        .map((t) => ({
          service: name,
          taskId: t.ID,
          nodeId: t.NodeID ?? '',
          state: t.Status.State,
          desired: t.DesiredState,
          error: t.Status.Err ?? '',
          containerId: t.Status.ContainerStatus?.ContainerID ?? '',
          updatedAt: t.UpdatedAt ?? '',
        }))
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      return {
        name,
        id: s.ID,
        replicas: s.Spec.Mode?.Replicated?.Replicas ?? 1,
        running: own.filter((t) => t.state === 'running' && t.desired === 'running').length,
        completed: own.filter((t) => t.state === 'complete').length,
        tasks: own,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const ready = (s: ServiceState, oneShots: readonly string[]) => (oneShots.includes(s.name) ? s.completed > 0 : s.running >= s.replicas);

/** One line per service that is not ready: its newest task's state and error. */
export function describeNotReady(services: ServiceState[], oneShots: readonly string[] = []): string {
  return services
    .filter((s) => !ready(s, oneShots))
    .map((s) => {
      const t = s.tasks[0];
      return `${s.name}: ${s.running}/${s.replicas} running${t ? `, newest task ${t.state}${t.error ? ` (${t.error})` : ''}` : ', no task'}`;
    })
    .join('; ');
}

/**
 * Waits until every service of the stack has its replicas running (healthy) and every one-shot has completed.
 * `expect` names services that must exist (the stack file's), so a wait cannot pass before they are created.
 */
export async function waitForStack(
  manager: DockerEndpoint,
  stack: string,
  opts: { expect: readonly string[]; oneShots?: readonly string[]; timeoutMs: number; onProgress?: (line: string) => void },
): Promise<ServiceState[]> {
  const oneShots = opts.oneShots ?? [];
  let last: ServiceState[] = [];
  let reported = '';
  return waitFor(
    `stack ${stack} healthy`,
    async () => {
      last = await stackState(manager, stack);
      const missing = opts.expect.filter((name) => !last.some((s) => s.name === name));
      const pending = describeNotReady(last, oneShots);
      const line = missing.length ? `not created yet: ${missing.join(', ')}` : pending;
      if (line !== reported && opts.onProgress) opts.onProgress(line || 'all services ready');
      reported = line;
      return missing.length === 0 && last.every((s) => ready(s, oneShots)) ? last : undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 500 },
    () => describeNotReady(last, oneShots) || 'services missing',
  );
}

/** The address of the node that runs the service's (first) running task: where its host-mode ports listen. */
export async function serviceAddress(
  manager: DockerEndpoint,
  stack: string,
  service: string,
): Promise<{ nodeId: string; hostname: string; address: string }> {
  const s = (await stackState(manager, stack)).find((x) => x.name === service);
  const task = s?.tasks.find((t) => t.state === 'running' && t.desired === 'running');
  if (!task) throw new Error(`${service} has no running task`);
  const node = (await listNodes(manager)).find((n) => n.id === task.nodeId);
  if (!node) throw new Error(`${service} runs on unknown node ${task.nodeId}`);
  return { nodeId: node.id, hostname: node.hostname, address: node.address };
}

/** The last lines of a service's log, from whichever node ran it (for failure messages). */
export async function serviceLogTail(manager: DockerEndpoint, stack: string, service: string, lines = 15): Promise<string> {
  const r = await manager.docker(['service', 'logs', '--raw', '--no-trunc', '--tail', String(lines), `${stack}_${service}`], {
    allowFailure: true,
    timeoutMs: 15_000,
  });
  return (r.stdout + r.stderr).trim();
}

/** `docker stack rm` and a bounded wait until its services are gone. */
export async function removeStack(manager: DockerEndpoint, stack: string, timeoutMs = 30_000): Promise<void> {
  await manager.docker(['stack', 'rm', stack], { allowFailure: true, timeoutMs: 30_000 });
  await waitFor(`stack ${stack} removed`, async () => ((await stackState(manager, stack)).length === 0 ? true : undefined), {
    timeoutMs,
    intervalMs: 500,
  });
}
