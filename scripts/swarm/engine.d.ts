import Docker from 'dockerode';
import { type RunOptions, type RunResult } from './run';
import type { EngineState } from './lab-state';
import type { LabNode } from './netns';
export interface EngineOptions {
    node: LabNode;
    /** The engine's folder: data/, exec/, docker.sock, dockerd.log, dockerd.pid. */
    dir: string;
    /** cgroup parent of its containers, e.g. /cpsw-<id>-n1. */
    cgroupParent: string;
    hostname: string;
    startTimeoutMs?: number;
}
export declare class Engine {
    readonly options: EngineOptions;
    private readonly child;
    readonly name: string;
    readonly address: string;
    readonly netns: string;
    readonly socket: string;
    readonly client: Docker;
    private exited;
    private constructor();
    get state(): EngineState;
    get logFile(): string;
    /** Starts dockerd in the node's namespace and waits (bounded) until it answers on its socket. */
    static start(options: EngineOptions): Promise<Engine>;
    get pid(): number | undefined;
    get running(): boolean;
    /** The docker CLI against this engine. */
    docker(args: readonly string[], opts?: RunOptions): Promise<RunResult>;
    logTail(lines: number): string;
    /** SIGTERM and a bounded wait (dockerd stops its containers first); whatever is left is then killed. */
    stop(timeoutMs?: number): Promise<void>;
    /** Kills every process of this engine and its containers at once (a node that dies), then frees its mounts. */
    crash(): Promise<number>;
}
