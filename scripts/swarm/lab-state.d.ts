/** All labs live under this folder (override with CHANPAY_SWARM_DIR); each in `<root>/<id>`. */
export declare const labsRoot: () => string;
/** Every name a lab gives its namespaces and links starts with this, followed by the lab id. */
export declare const NAME_PREFIX = "cpsw";
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
export declare const newLabId: () => string;
export declare function labDir(id: string): string;
export declare function writeLabState(state: LabState): void;
export declare function readLabStates(): LabState[];
/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or '' when it is gone. */
export declare function processStart(pid: number): string;
/** Whether the lab's creator still runs (the same process, not a later one with its pid). */
export declare const ownerAlive: (s: LabState) => boolean;
export declare function processAlive(pid: number): boolean;
