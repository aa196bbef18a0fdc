/** The call graph: cycles, an order that starts providers before their callers, and expected calls per request. */
import type { Edge, ResolvedTopology } from './model';

export interface Cycle {
  /** The services around the cycle, the first repeated at the end: a → b → a. */
  names: string[];
  /** The call that closes it. */
  closing: Edge;
}

/** The first cycle a depth-first walk in file order finds, or null. */
export function findCycle(names: string[], edges: readonly Edge[]): Cycle | null {
  const out = new Map<string, Edge[]>(names.map((n) => [n, []]));
  for (const e of edges) out.get(e.from)?.push(e);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (name: string): Cycle | null => {
    state.set(name, 'open');
    stack.push(name);
    for (const e of out.get(name) ?? []) {
      const s = state.get(e.to);
      if (s === 'open') return { names: [...stack.slice(stack.indexOf(e.to)), e.to], closing: e };
      if (s === undefined) {
        const found = walk(e.to);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const found = walk(n);
    if (found) return found;
  }
  return null;
}

/** Service names with every provider before its callers (the order to start them in). */
export function providersFirst(t: ResolvedTopology): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (name: string) => {
    if (done.has(name)) return;
    done.add(name);
    for (const e of t.edges) if (e.from === name) visit(e.to);
    order.push(name);
  };
  for (const s of t.services) visit(s.name);
  return order;
}

/**
 * How often each service is called, on average, per request sent to an entry (load spread evenly over the
 * entries): the sum over call paths of the product of their probabilities, with µBench's seqLen (k of a group
 * of n calls picked at random) scaling each call of the group by k/n. Entries count their own request.
 */
export function expectedCalls(t: ResolvedTopology): Map<string, number> {
  const visits = new Map<string, number>(t.services.map((s) => [s.name, 0]));
  const add = (name: string, weight: number) => {
    visits.set(name, visits.get(name)! + weight);
    const s = t.services.find((x) => x.name === name)!;
    for (const g of s.groups) {
      const pick = g.seqLen === null ? 1 : Math.min(1, g.seqLen / g.calls.length);
      for (const e of g.calls) add(e.to, weight * e.probability * pick);
    }
  };
  for (const entry of t.entry) add(entry, 1 / t.entry.length);
  return visits;
}

/** Longest distance from an entry, per service (0 for entries). */
export function depths(t: ResolvedTopology): Map<string, number> {
  const depth = new Map<string, number>();
  const visit = (name: string, d: number) => {
    if ((depth.get(name) ?? -1) >= d) return;
    depth.set(name, d);
    for (const e of t.edges) if (e.from === name) visit(e.to, d + 1);
  };
  for (const entry of t.entry) visit(entry, 0);
  return depth;
}
