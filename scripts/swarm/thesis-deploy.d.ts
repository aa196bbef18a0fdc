import type { SwarmLab } from './lab';
import { type ServiceState } from './stack';
import { type ThesisSettings } from './thesis';
export interface ThesisDeployOptions {
    stack?: string;
    /** Keys, tokens and settings; default fresh keys and tokens (scripts/docker/env.ts) and a fresh admin token. */
    settings?: ThesisSettings;
    /** Values that win over the settings, e.g. { CHALLENGE_PERIOD: '2' }. */
    overrides?: ThesisSettings;
    /**
     * Start the stateless services (random-number, public) on this node (an engine name): the other services
     * nodes are paused until Swarm has placed them, then made active again. Swarm's own choice between equally
     * loaded nodes is arbitrary; a test that kills the node under them needs to know which one it is.
     */
    statelessOn?: string;
    timeoutMs?: number;
}
export interface ThesisDeployment {
    stack: string;
    settings: ThesisSettings;
    services: ServiceState[];
    /** http://<address of the node running the service>:<its port><path> */
    url(service: 'chain' | 'random-number' | 'persistence' | 'public', route?: string): Promise<string>;
    /** The node (engine name) that runs the service now. */
    nodeOf(service: string): Promise<string>;
}
export declare function deployThesis(lab: SwarmLab, opts?: ThesisDeployOptions): Promise<ThesisDeployment>;
