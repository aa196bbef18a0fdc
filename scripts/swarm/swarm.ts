/** The Swarm on the lab's engines: init on the manager, join the workers, label and pause nodes, leave. */
import type { DockerEndpoint, Engine } from './engine';
import { waitFor } from './wait';

export interface SwarmOptions {
  /** How often nodes report to the manager; a node is marked down after a few missed beats. Default 1 s. */
  heartbeatSeconds?: number;
  /** Overlay subnets are taken from here; default 10.213.0.0/16 in /24s (kept off the lab's 198.18 addresses). */
  addressPool?: string;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  address: string;
  state: string;
  availability: string;
  role: string;
  labels: Record<string, string>;
}

export async function nodeIdOf(engine: Engine): Promise<string> {
  const info = (await engine.client.info()) as { Swarm?: { NodeID?: string } };
  if (!info.Swarm?.NodeID) throw new Error(`${engine.name} is not in a swarm`);
  return info.Swarm.NodeID;
}

/** `docker swarm init` on the manager's own address; returns the worker join token. */
export async function initSwarm(manager: Engine, opts: SwarmOptions = {}): Promise<string> {
  await manager.docker([
    'swarm',
    'init',
    '--advertise-addr',
    manager.address,
    '--listen-addr',
    `${manager.address}:2377`,
    '--default-addr-pool',
    opts.addressPool ?? '10.213.0.0/16',
    '--default-addr-pool-mask-length',
    '24',
    '--dispatcher-heartbeat',
    `${opts.heartbeatSeconds ?? 1}s`,
    '--task-history-limit',
    '2',
  ]);
  return (await manager.docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
}

export async function joinSwarm(worker: Engine, manager: Engine, token: string): Promise<void> {
  await worker.docker([
    'swarm',
    'join',
    '--token',
    token,
    '--advertise-addr',
    worker.address,
    '--listen-addr',
    `${worker.address}:2377`,
    `${manager.address}:2377`,
  ]);
}

export async function listNodes(manager: DockerEndpoint): Promise<SwarmNode[]> {
  const nodes = (await manager.client.listNodes()) as {
    ID: string;
    Description?: { Hostname?: string };
    Status?: { State?: string; Addr?: string };
    Spec?: { Availability?: string; Role?: string; Labels?: Record<string, string> };
  }[];
  return nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    address: n.Status?.Addr ?? '',
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'unknown',
    role: n.Spec?.Role ?? 'unknown',
    labels: n.Spec?.Labels ?? {},
  }));
}

/** Waits until the manager sees `count` nodes ready. */
export async function waitForNodes(manager: DockerEndpoint, count: number, timeoutMs = 30_000): Promise<SwarmNode[]> {
  let last: SwarmNode[] = [];
  return waitFor(
    `${count} Swarm nodes ready`,
    async () => {
      last = await listNodes(manager);
      return last.filter((n) => n.state === 'ready').length >= count ? last : undefined;
    },
    { timeoutMs, intervalMs: 250 },
    () => last.map((n) => `${n.hostname} ${n.state}`).join(', '),
  );
}

/** Waits until the manager has marked the node down (after missed heartbeats). */
export async function waitForNodeDown(manager: DockerEndpoint, nodeId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `node ${nodeId} marked down`,
    async () => ((await listNodes(manager)).find((n) => n.id === nodeId)?.state === 'down' ? true : undefined),
    {
      timeoutMs,
      intervalMs: 250,
    },
  );
}

export async function labelNode(manager: DockerEndpoint, nodeId: string, labels: Record<string, string>): Promise<void> {
  const args = Object.entries(labels).flatMap(([k, v]) => ['--label-add', `${k}=${v}`]);
  if (args.length > 0) await manager.docker(['node', 'update', ...args, nodeId]);
}

/** active: takes tasks; pause: keeps its tasks, gets no new ones; drain: its tasks move elsewhere. */
export async function setAvailability(manager: DockerEndpoint, nodeId: string, availability: 'active' | 'pause' | 'drain'): Promise<void> {
  await manager.docker(['node', 'update', '--availability', availability, nodeId]);
}

/** `docker swarm leave --force`; a node that is not in a swarm is fine. */
export async function leaveSwarm(engine: Engine): Promise<void> {
  const r = await engine.docker(['swarm', 'leave', '--force'], { allowFailure: true, timeoutMs: 20_000 });
  if (r.code !== 0 && !/not part of a swarm/i.test(r.stderr)) throw new Error(`${engine.name}: swarm leave failed: ${r.stderr.trim()}`);
}
