import { Engine } from './engine';
import { type LabState } from './lab-state';
import { type LabNetwork } from './netns';
import { waitForStack, type DeployOptions, type ServiceState } from './stack';
import { type SwarmOptions } from './swarm';
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
export declare class SwarmLab {
    readonly state: LabState;
    private readonly cleanup;
    private readonly log;
    readonly engines: Engine[];
    readonly nodeIds: Map<string, string>;
    readonly timings: LabTimings;
    network: LabNetwork | undefined;
    private readonly stacks;
    private constructor();
    get id(): string;
    get manager(): Engine;
    get workers(): Engine[];
    engine(name: string): Engine;
    nodeId(name: string): string;
    /** Creates the lab; on any failure everything created so far is removed before the error is rethrown. */
    static create(opts: SwarmLabOptions): Promise<SwarmLab>;
    private step;
    private build;
    /** `docker stack deploy` on the manager; the stack is removed again by `down()`. */
    deploy(opts: DeployOptions): Promise<void>;
    waitForStack(stack: string, opts: Parameters<typeof waitForStack>[2]): Promise<ServiceState[]>;
    /** Kills a worker's engine with all its containers at once, as if its machine died. */
    crash(name: string): Promise<number>;
    /** Removes the stacks, leaves the Swarm, stops the engines and deletes everything; resolves with what failed. */
    down(): Promise<string[]>;
}
