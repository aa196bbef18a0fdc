/**
 * The lab's network: one network namespace per node, each with a veth whose peer sits on a bridge in a hub
 * namespace of its own (so neither the host's iptables, where a host dockerd sets FORWARD to DROP, nor its
 * routes see the traffic), plus one veth from the host's namespace to the hub, so that a test on this machine
 * reaches the nodes' addresses. The nodes have no default route: nothing they send leaves this machine.
 *
 *   host: cpsw<id> 198.18.<k>.1 ── hub netns: bridge br0 ── n1 ── node netns cpsw-<id>-n1: eth0 198.18.<k>.11
 *                                                        ├── n2 ── node netns cpsw-<id>-n2: eth0 198.18.<k>.12 …
 * 198.18.0.0/15 is reserved for network test labs (RFC 2544); each lab takes a /24 no other link uses.
 */
import { ip } from './run';
import { NAME_PREFIX } from './lab-state';

export interface LabNode {
  /** n1, n2, … */
  name: string;
  netns: string;
  address: string;
}

export interface LabNetwork {
  /** e.g. 198.18.7.0/24 */
  subnet: string;
  /** The host's own address on the lab's subnet. */
  hostAddress: string;
  hostLink: string;
  hub: string;
  nodes: LabNode[];
}

/** A /24 in 198.18.0.0/16 that no address or route of this machine is in. */
async function freeSubnet(): Promise<number> {
  const used = (await ip('-4', '-o', 'addr', 'show')).stdout + (await ip('-4', 'route', 'show', 'table', 'all')).stdout;
  for (let k = 1; k < 255; k++) if (!used.includes(`198.18.${k}.`)) return k;
  throw new Error('no free /24 left in 198.18.0.0/16 for the Swarm lab');
}

/**
 * Creates the hub and `count` node namespaces. `record` is called with every namespace and link right after it
 * exists, so that a failure halfway leaves nothing the lab's cleanup does not know of.
 */
export async function createLabNetwork(
  id: string,
  count: number,
  record: (what: { netns?: string; hostLink?: string }) => void,
): Promise<LabNetwork> {
  const k = await freeSubnet();
  const net = `198.18.${k}`;
  const hub = `${NAME_PREFIX}-${id}-hub`;
  const hostLink = `${NAME_PREFIX}${id}`;
  await ip('netns', 'add', hub);
  record({ netns: hub });
  await ip('-n', hub, 'link', 'set', 'lo', 'up');
  await ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', hub, 'link', 'set', 'br0', 'up');
  await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'host', 'netns', hub);
  record({ hostLink });
  await ip('-n', hub, 'link', 'set', 'host', 'master', 'br0', 'up');
  await ip('addr', 'add', `${net}.1/24`, 'dev', hostLink);
  await ip('link', 'set', hostLink, 'up');
  const nodes: LabNode[] = [];
  for (let i = 1; i <= count; i++) {
    const node = { name: `n${i}`, netns: `${NAME_PREFIX}-${id}-n${i}`, address: `${net}.${10 + i}` };
    await ip('netns', 'add', node.netns);
    record({ netns: node.netns });
    await ip('-n', node.netns, 'link', 'set', 'lo', 'up');
    await ip('-n', hub, 'link', 'add', node.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns);
    await ip('-n', hub, 'link', 'set', node.name, 'master', 'br0', 'up');
    await ip('-n', node.netns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0');
    await ip('-n', node.netns, 'link', 'set', 'eth0', 'up');
    nodes.push(node);
  }
  return { subnet: `${net}.0/24`, hostAddress: `${net}.1`, hostLink, hub, nodes };
}
