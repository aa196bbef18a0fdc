/**
 * CPU time of processes from /proc/<pid>/stat (utime + stime, in clock ticks), read before and after a run.
 * Linux only; elsewhere every reading is null and the report says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

/** The kernel's clock tick (USER_HZ), usually 100: the resolution of these readings is 1 / this. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used so far, or null if it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / clockTicksPerSecond();
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  processes: Record<string, number | null>;
  /** This process (the load generator), from process.cpuUsage (microsecond resolution). */
  self: number;
}

export function cpuSnapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const processes: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(pids)) processes[name] = pid === undefined ? null : processCpuSeconds(pid);
  const u = process.cpuUsage();
  return { processes, self: (u.user + u.system) / 1e6 };
}

/** CPU seconds used between two snapshots, per process name, with the load generator as `load-generator`. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, b] of Object.entries(before.processes)) {
    const a = after.processes[name];
    out[name] = b === null || a === null || a === undefined ? null : a - b;
  }
  out['load-generator'] = after.self - before.self;
  return out;
}

/** Machine-wide CPU counters from /proc/stat (clock ticks, all cores), or null off Linux. */
export function machineCpu(): { busy: number; total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, ...values] = line.trim().split(/\s+/);
    const v = values.map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user).
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total, steal: v[7] ?? 0 };
  } catch {
    return null;
  }
}

/**
 * How busy the whole machine was between two readings, in cores, and how much of that was not ours (other
 * programs on the machine): the load that competed with the benchmark for the same cores.
 */
export function machineLoad(
  before: ReturnType<typeof machineCpu>,
  after: ReturnType<typeof machineCpu>,
  elapsedSeconds: number,
  oursSeconds: number,
): { busyCores: number; otherCores: number; stealCores: number } | null {
  if (!before || !after || elapsedSeconds <= 0) return null;
  const hz = clockTicksPerSecond();
  const busyCores = (after.busy - before.busy) / hz / elapsedSeconds;
  return {
    busyCores: Math.round(busyCores * 100) / 100,
    otherCores: Math.round(Math.max(0, busyCores - oursSeconds / elapsedSeconds) * 100) / 100,
    stealCores: Math.round(((after.steal - before.steal) / hz / elapsedSeconds) * 100) / 100,
  };
}
