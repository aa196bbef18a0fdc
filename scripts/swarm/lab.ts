/**
 * A Docker Swarm of 2 or 3 engines on this one machine, each engine in its own network namespace (see netns.ts,
 * engine.ts): created, joined, labelled and loaded with the project's images, and torn down again, also when
 * anything fails midway or the process gets SIGINT / SIGTERM (a lab whose process was SIGKILLed is removed by
 * the next lab, or by `npm run swarm -- down --all`).
 *
 *   const lab = await SwarmLab.create({ nodes: [{ labels: { 'chanpay.role': 'chain' } }, { labels: { 'chanpay.role': 'services' } }] });
 *   await lab.deploy({ name: 'thesis', file: 'compose/docker-stack.thesis.yml', env });
 *   await lab.waitForStack('thesis', { expect: [...], timeoutMs: 120_000 });
 *   … http://<lab.address(node)>:<port> …
 *   await lab.down();
 */
import path from 'node:path';
import { mkdirSync, rmSync } from 'node:fs';
import { Cleanup } from './cleanup';
import { Engine } from './engine';
import { loadImages, missingImages, saveImages } from './images';
import { labDir, newLabId, NAME_PREFIX, processStart, writeLabState, type LabState } from './lab-state';
import { createLabNetwork, type LabNetwork } from './netns';
import { destroyLab, sweepStaleLabs } from './reap';
import { run } from './run';
import { deployStack, removeStack, waitForStack, type DeployOptions, type ServiceState } from './stack';
import { initSwarm, joinSwarm, labelNode, leaveSwarm, nodeIdOf, waitForNodes, type SwarmOptions } from './swarm';

export interface LabNodeSpec {
  /** Node labels, e.g. { 'chanpay.role': 'chain' }; the first node is the manager. */
  labels?: Record<string, string>;
}

export interface SwarmLabOptions {
  nodes: LabNodeSpec[];
  /** Image references to load into every engine from the host's engine. */
  images?: readonly string[];
  swarm?: SwarmOptions;
  /** Size of the tmpfs that holds the engines' data roots (default 4g, CHANPAY_SWARM_TMPFS_SIZE; "0": on disk). */
  tmpfsSize?: string;
  /** Tear down on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
  log?: (line: string) => void;
}

export interface LabTimings {
  [step: string]: number;
}

export class SwarmLab {
  readonly engines: Engine[] = [];
  readonly nodeIds = new Map<string, string>();
  readonly timings: LabTimings = {};
  network: LabNetwork | undefined;
  private readonly stacks = new Set<string>();

  private constructor(
    readonly state: LabState,
    private readonly cleanup: Cleanup,
    private readonly log: (line: string) => void,
  ) {}

  get id(): string {
    return this.state.id;
  }

  get manager(): Engine {
    return this.engines[0]!;
  }

  get workers(): Engine[] {
    return this.engines.slice(1);
  }

  engine(name: string): Engine {
    const e = this.engines.find((x) => x.name === name);
    if (!e) throw new Error(`no engine ${name} in lab ${this.id}`);
    return e;
  }

  nodeId(name: string): string {
    const id = this.nodeIds.get(name);
    if (!id) throw new Error(`engine ${name} has no Swarm node id`);
    return id;
  }

  /** Creates the lab; on any failure everything created so far is removed before the error is rethrown. */
  static async create(opts: SwarmLabOptions): Promise<SwarmLab> {
    if (opts.nodes.length < 2 || opts.nodes.length > 5) throw new Error('a Swarm lab has 2 to 5 nodes');
    const log = opts.log ?? (() => undefined);
    const swept = await sweepStaleLabs();
    if (swept.length) log(`removed stale Swarm labs: ${swept.join(', ')}`);
    const id = newLabId();
    const state: LabState = {
      id,
      ownerPid: process.pid,
      ownerStart: processStart(process.pid),
      createdAt: new Date().toISOString(),
      dir: labDir(id),
      namespaces: [],
      engines: [],
    };
    writeLabState(state);
    const cleanup = new Cleanup(log);
    cleanup.add(`remove lab ${id} (processes, mounts, cgroups, namespaces, links, ${state.dir})`, () => destroyLab(state), 60_000);
    if (opts.handleSignals !== false) cleanup.handleSignals();
    const lab = new SwarmLab(state, cleanup, log);
    try {
      await lab.build(opts);
      return lab;
    } catch (e) {
      log(`Swarm lab ${id} failed: ${(e as Error).message}; tearing it down`);
      await lab.down();
      throw e;
    }
  }

  private async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const value = await fn();
    this.timings[name] = (Date.now() - t0) / 1000;
    this.log(`${name}: ${this.timings[name]!.toFixed(1)} s`);
    return value;
  }

  private async build(opts: SwarmLabOptions): Promise<void> {
    const { state } = this;
    const images = opts.images ?? [];
    if (images.length) {
      const missing = await missingImages(images);
      if (missing.length) throw new Error(`the host's engine lacks ${missing.join(', ')} (npm run scenario -- build)`);
    }
    this.network = await this.step(`network: ${opts.nodes.length} namespaces, veths, a bridge`, () =>
      createLabNetwork(this.id, opts.nodes.length, ({ netns, hostLink }) => {
        if (netns) state.namespaces.push(netns);
        if (hostLink) state.hostLink = hostLink;
        writeLabState(state);
      }),
    );
    const nodes = this.network.nodes;
    const files = await this.step('engine folders', () =>
      engineFolders(state.dir, opts.tmpfsSize ?? process.env.CHANPAY_SWARM_TMPFS_SIZE ?? '4g'),
    );
    if (!files.tmpfs) this.log(`engine folders on disk (${files.reason}): image loads and the teardown are slower`);
    for (const node of nodes) {
      state.engines.push({
        name: node.name,
        netns: node.netns,
        dir: path.join(files.dir, node.name),
        cgroupParent: `/${NAME_PREFIX}-${this.id}-${node.name}`,
      });
    }
    writeLabState(state);
    this.cleanup.add(
      'stop the engines',
      async () => {
        await Promise.all(this.engines.map((e) => e.stop()));
      },
      60_000,
    );
    const started = await this.step('engines answer', () =>
      Promise.allSettled(
        state.engines.map((e, i) =>
          Engine.start({ node: nodes[i]!, dir: e.dir, cgroupParent: e.cgroupParent, hostname: `${NAME_PREFIX}-${this.id}-${e.name}` }),
        ),
      ),
    );
    for (const r of started) if (r.status === 'fulfilled') this.engines.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    if (images.length) {
      const tar = path.join(files.dir, 'images.tar');
      const { bytes } = await this.step('images saved from the host engine', () => saveImages(images, tar));
      await this.step(`images loaded into ${this.engines.length} engines (${Math.round(bytes / 1e6)} MB each)`, () =>
        Promise.all(this.engines.map((e) => loadImages(e, tar, images))),
      );
      rmSync(tar, { force: true });
    }

    this.cleanup.add(
      'leave the Swarm',
      async () => {
        const leave = (e: Engine) => (e.running ? leaveSwarm(e).catch((err: Error) => this.log(err.message)) : Promise.resolve());
        await Promise.all(this.workers.map(leave));
        await leave(this.manager);
      },
      60_000,
    );
    await this.step('swarm init, join, label', async () => {
      const token = await initSwarm(this.manager, opts.swarm);
      this.nodeIds.set(this.manager.name, await nodeIdOf(this.manager));
      await Promise.all(this.workers.map((w) => joinSwarm(w, this.manager, token)));
      for (const w of this.workers) this.nodeIds.set(w.name, await nodeIdOf(w));
      await waitForNodes(this.manager, this.engines.length);
      for (const [i, spec] of opts.nodes.entries()) await labelNode(this.manager, this.nodeId(this.engines[i]!.name), spec.labels ?? {});
    });
  }

  /** `docker stack deploy` on the manager; the stack is removed again by `down()`. */
  async deploy(opts: DeployOptions): Promise<void> {
    this.stacks.add(opts.name);
    if (this.stacks.size === 1) {
      this.cleanup.add(
        'remove the stacks',
        async () => {
          for (const s of this.stacks)
            if (this.manager.running) await removeStack(this.manager, s, 20_000).catch((e: Error) => this.log(e.message));
        },
        60_000,
      );
    }
    await this.step(`stack ${opts.name} deployed`, () => deployStack(this.manager, opts));
  }

  waitForStack(stack: string, opts: Parameters<typeof waitForStack>[2]): Promise<ServiceState[]> {
    return this.step(`stack ${stack} healthy`, () =>
      waitForStack(this.manager, stack, { onProgress: (l) => this.log(`  ${stack}: ${l}`), ...opts }),
    );
  }

  /** Kills a worker's engine with all its containers at once, as if its machine died. */
  async crash(name: string): Promise<number> {
    if (name === this.manager.name) throw new Error('crashing the only manager ends the Swarm; crash a worker');
    return this.engine(name).crash();
  }

  /** Removes the stacks, leaves the Swarm, stops the engines and deletes everything; resolves with what failed. */
  async down(): Promise<string[]> {
    const t0 = Date.now();
    const failed = await this.cleanup.run();
    const teardown = (Date.now() - t0) / 1000;
    this.timings.teardown = teardown;
    this.log(`teardown: ${teardown.toFixed(1)} s${failed.length ? ` (${failed.length} steps failed)` : ''}`);
    return failed;
  }
}

/**
 * The engines' folders, on a tmpfs of their own when it can be mounted: loading the images and deleting the data
 * roots afterwards (hundreds of MB of unpacked layers per engine) is then a matter of memory, not of a slow disk.
 */
async function engineFolders(labDirectory: string, size: string): Promise<{ dir: string; tmpfs: boolean; reason?: string }> {
  const dir = path.join(labDirectory, 'fs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (size === '0') return { dir, tmpfs: false, reason: 'CHANPAY_SWARM_TMPFS_SIZE=0' };
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'chanpay-swarm', dir], {
    allowFailure: true,
    timeoutMs: 10_000,
  });
  return r.code === 0 ? { dir, tmpfs: true } : { dir, tmpfs: false, reason: `mount -t tmpfs failed: ${r.stderr.trim()}` };
}
