/** The Swarm on the lab's engines: init on the manager, join the workers, label and pause nodes, leave. */
import type { Engine } from './engine';
export interface SwarmOptions {
    /** How often nodes report to the manager; a node is marked down after a few missed beats. Default 1 s. */
    heartbeatSeconds?: number;
    /** Overlay subnets are taken from here; default 10.213.0.0/16 in /24s (kept off the lab's 198.18 addresses). */
    addressPool?: string;
}
export interface SwarmNode {
    id: string;
    hostname: string;
    address: string;
    state: string;
    availability: string;
    role: string;
    labels: Record<string, string>;
}
export declare function nodeIdOf(engine: Engine): Promise<string>;
/** `docker swarm init` on the manager's own address; returns the worker join token. */
export declare function initSwarm(manager: Engine, opts?: SwarmOptions): Promise<string>;
export declare function joinSwarm(worker: Engine, manager: Engine, token: string): Promise<void>;
export declare function listNodes(manager: Engine): Promise<SwarmNode[]>;
/** Waits until the manager sees `count` nodes ready. */
export declare function waitForNodes(manager: Engine, count: number, timeoutMs?: number): Promise<SwarmNode[]>;
/** Waits until the manager has marked the node down (after missed heartbeats). */
export declare function waitForNodeDown(manager: Engine, nodeId: string, timeoutMs?: number): Promise<void>;
export declare function labelNode(manager: Engine, nodeId: string, labels: Record<string, string>): Promise<void>;
/** active: takes tasks; pause: keeps its tasks, gets no new ones; drain: its tasks move elsewhere. */
export declare function setAvailability(manager: Engine, nodeId: string, availability: 'active' | 'pause' | 'drain'): Promise<void>;
/** `docker swarm leave --force`; a node that is not in a swarm is fine. */
export declare function leaveSwarm(engine: Engine): Promise<void>;
