/**
 * Where a Swarm lab keeps its engines' files, and a state file that names everything it created on the machine
 * (namespaces, the host's link, engine folders, cgroups), so that a lab whose process was killed can still be
 * removed later (`sweepStaleLabs`, `npm run swarm -- down --all`, .ci/teardown-swarm.sh).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** All labs live under this folder (override with CHANPAY_SWARM_DIR); each in `<root>/<id>`. */
export const labsRoot = () => process.env.CHANPAY_SWARM_DIR || '/tmp/chanpay-swarm';

/** Every name a lab gives its namespaces and links starts with this, followed by the lab id. */
export const NAME_PREFIX = 'cpsw';

export interface EngineState {
  name: string;
  netns: string;
  dir: string;
  cgroupParent: string;
}

export interface LabState {
  id: string;
  /** The process that created the lab (and its start time, against pid reuse); when it is gone, the lab is stale. */
  ownerPid: number;
  ownerStart: string;
  createdAt: string;
  dir: string;
  namespaces: string[];
  /** The veth end in the host's namespace (deleting it deletes its peer). */
  hostLink?: string;
  engines: EngineState[];
}

export const newLabId = () => randomBytes(3).toString('hex');

export function labDir(id: string): string {
  return path.join(labsRoot(), id);
}

const stateFile = (dir: string) => path.join(dir, 'lab.json');

export function writeLabState(state: LabState): void {
  mkdirSync(state.dir, { recursive: true });
  const tmp = `${stateFile(state.dir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, stateFile(state.dir));
}

export function readLabStates(): LabState[] {
  const root = labsRoot();
  if (!existsSync(root)) return [];
  const out: LabState[] = [];
  for (const id of readdirSync(root)) {
    try {
      out.push(JSON.parse(readFileSync(stateFile(path.join(root, id)), 'utf8')) as LabState);
    } catch {
      /* a folder without a readable state file: nothing to undo by name */
    }
  }
  return out;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or '' when it is gone. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** Whether the lab's creator still runs (the same process, not a later one with its pid). */
export const ownerAlive = (s: LabState) => processStart(s.ownerPid) === s.ownerStart;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
