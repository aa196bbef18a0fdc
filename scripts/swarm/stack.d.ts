/**
 * A stack on the lab's Swarm: `docker stack deploy`, the state of its services' tasks (through the manager's
 * API), a bounded wait until every service runs its replicas healthy (Swarm holds a task in `starting` until its
 * healthcheck passes) and every one-shot has completed, where each task runs, and `docker stack rm`.
 */
import type { Engine } from './engine';
export interface DeployOptions {
    name: string;
    file: string;
    /** Variables the stack file interpolates (`docker stack deploy` reads the shell's environment, no .env). */
    env?: Record<string, string>;
}
export interface TaskState {
    service: string;
    taskId: string;
    nodeId: string;
    state: string;
    desired: string;
    error: string;
    containerId: string;
    updatedAt: string;
}
export interface ServiceState {
    name: string;
    id: string;
    replicas: number;
    running: number;
    completed: number;
    tasks: TaskState[];
}
export declare function deployStack(manager: Engine, opts: DeployOptions): Promise<void>;
/** Every service of the stack and its tasks (short names: `chain`, not `<stack>_chain`). */
export declare function stackState(manager: Engine, stack: string): Promise<ServiceState[]>;
/** One line per service that is not ready: its newest task's state and error. */
export declare function describeNotReady(services: ServiceState[], oneShots?: readonly string[]): string;
/**
 * Waits until every service of the stack has its replicas running (healthy) and every one-shot has completed.
 * `expect` names services that must exist (the stack file's), so a wait cannot pass before they are created.
 */
export declare function waitForStack(manager: Engine, stack: string, opts: {
    expect: readonly string[];
    oneShots?: readonly string[];
    timeoutMs: number;
    onProgress?: (line: string) => void;
}): Promise<ServiceState[]>;
/** The address of the node that runs the service's (first) running task: where its host-mode ports listen. */
export declare function serviceAddress(manager: Engine, stack: string, service: string): Promise<{
    nodeId: string;
    hostname: string;
    address: string;
}>;
/** The last lines of a service's log, from whichever node ran it (for failure messages). */
export declare function serviceLogTail(manager: Engine, stack: string, service: string, lines?: number): Promise<string>;
/** `docker stack rm` and a bounded wait until its services are gone. */
export declare function removeStack(manager: Engine, stack: string, timeoutMs?: number): Promise<void>;
