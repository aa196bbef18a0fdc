/**
 * Forced removal of what a lab created, by the names in its state file: every process in the lab's network
 * namespaces (dockerd, containerd, shims, docker-proxy) and their descendants (the containers), mounts left
 * under the lab's folder, the engines' cgroups, the namespaces, the host's link and the folder. Idempotent; also
 * how `Engine.crash()` simulates a machine that dies.
 */
import { readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ip, run } from './run';
import { ownerAlive, processAlive, readLabStates, type LabState } from './lab-state';
import { sleep } from './wait';

interface Proc {
  pid: number;
  ppid: number;
  netns: number | undefined;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      let netns: number | undefined;
      try {
        netns = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${entry}/ns/net`))?.[1]);
      } catch {
        /* a kernel thread or a process that just ended */
      }
      out.push({ pid: Number(entry), ppid, netns });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/** The inode of a named network namespace (what /proc/<pid>/ns/net links to), or undefined when it is gone. */
export function netnsInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

/** Processes inside the namespace and all their descendants (a container's processes have their own namespace). */
function processTree(inode: number): number[] {
  const procs = processes();
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found = new Set<number>();
  const visit = (pid: number) => {
    if (found.has(pid) || pid === process.pid) return;
    found.add(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  for (const p of procs) if (p.netns === inode) visit(p.pid);
  return [...found];
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
};

/**
 * SIGKILLs everything running in the namespace and below it. Stops them first (a stopped process cannot fork),
 * re-reading the tree until it no longer grows, so that nothing escapes by being re-parented. Bounded.
 */
export async function killNetnsProcesses(netns: string): Promise<number> {
  const inode = netnsInode(netns);
  if (inode === undefined) return 0;
  const stopped = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const tree = processTree(inode).filter((p) => !stopped.has(p));
    if (tree.length === 0) break;
    for (const pid of tree) {
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
  for (const pid of stopped) signal(pid, 'SIGKILL');
  for (let i = 0; i < 50 && [...stopped].some(processAlive); i++) await sleep(100);
  return stopped.size;
}

/** Mount points under `dir` (the engines' overlay and netns mounts when an engine did not shut down itself). */
function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((mp): mp is string => mp !== undefined && (mp === dir || mp.startsWith(prefix)))
    .sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) await run('umount', ['-l', mp], { allowFailure: true, timeoutMs: 10_000 });
}

/** The engine's cgroup folders (its --cgroup-parent) in every mounted hierarchy, deepest first. */
export function removeCgroups(parent: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4]!);
  const rmTree = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) rmTree(path.join(dir, e));
    try {
      rmdirSync(dir);
    } catch {
      /* still has processes, or gone */
    }
  };
  for (const m of mounts) rmTree(path.join(m, parent.replace(/^\/+/, '')));
}

/** Removes everything the lab's state file names; never touches anything else. */
export async function destroyLab(state: LabState): Promise<void> {
  for (const ns of state.namespaces) await killNetnsProcesses(ns);
  await unmountUnder(state.dir);
  for (const e of state.engines) removeCgroups(e.cgroupParent);
  for (const ns of [...state.namespaces].reverse()) await ip('netns', 'del', ns).catch(() => undefined);
  if (state.hostLink) await ip('link', 'del', state.hostLink).catch(() => undefined);
  rmSync(state.dir, { recursive: true, force: true });
}

/** Removes labs whose creating process is gone (or every lab with `all`); returns their ids. */
export async function sweepStaleLabs({ all = false } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const state of readLabStates()) {
    if (!all && ownerAlive(state)) continue;
    await destroyLab(state);
    removed.push(state.id);
  }
  return removed;
}
