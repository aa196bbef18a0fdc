/**
 * Can this machine run a Swarm lab? Synchronous (jest decides before it declares the tests), bounded, and
 * leaves nothing behind: a throwaway namespace with a veth pair, a bridge and a VXLAN device is made and deleted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NAME_PREFIX } from './lab-state';

export interface ProbeResult {
  check: string;
  ok: boolean;
  detail: string;
}

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? '') };
};

const hasCommand = (name: string) => sh('sh', ['-c', `command -v ${name}`]).ok;

/** Every check, in order; later ones are skipped once an earlier one fails. */
export function probeSwarmLab(): ProbeResult[] {
  const results: ProbeResult[] = [];
  const add = (check: string, ok: boolean, detail: string) => {
    results.push({ check, ok, detail });
    return ok;
  };
  if (!add('root', process.getuid?.() === 0, 'network namespaces and dockerd need root')) return results;
  const missing = ['ip', 'nsenter', 'unshare', 'mount', 'dockerd', 'docker'].filter((c) => !hasCommand(c));
  if (
    !add(
      'commands',
      missing.length === 0,
      missing.length
        ? `missing: ${missing.join(', ')} (apt-get install iproute2 util-linux docker.io)`
        : 'ip, nsenter, unshare, mount, dockerd, docker',
    )
  ) {
    return results;
  }
  const ns = `${NAME_PREFIX}-probe-${process.pid}`;
  const made = sh('ip', ['netns', 'add', ns]);
  if (!add('network namespace', made.ok, made.ok ? 'ip netns add works' : made.out)) return results;
  try {
    const veth = sh('ip', ['-n', ns, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']);
    add('veth pair', veth.ok, veth.ok ? 'ok' : veth.out);
    const bridge = sh('ip', ['-n', ns, 'link', 'add', 'probebr', 'type', 'bridge']);
    add('bridge', bridge.ok, bridge.ok ? 'ok' : bridge.out);
    const vxlan = sh('ip', ['-n', ns, 'link', 'add', 'probevx', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'probe0']);
    add('vxlan (overlay networks)', vxlan.ok, vxlan.ok ? 'ok' : `${vxlan.out}: overlay networks cannot work`);
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
  // Not required: the lab's stack publishes in host mode and resolves by DNS round robin, which need no IPVS.
  const ipvs = existsSync('/proc/net/ip_vs');
  results.push({
    check: 'ipvs (routing mesh, virtual IPs)',
    ok: true,
    detail: ipvs ? 'available' : 'absent: no ingress routing mesh and no service VIPs; the stack uses host-mode ports and dnsrr',
  });
  return results;
}

/** One line saying why no Swarm lab can run here, or null. */
export function swarmLabUnavailableReason(): string | null {
  const failed = probeSwarmLab().find((r) => !r.ok);
  return failed ? `${failed.check}: ${failed.detail}` : null;
}
