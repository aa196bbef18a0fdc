import { type LabState } from './lab-state';
/** The inode of a named network namespace (what /proc/<pid>/ns/net links to), or undefined when it is gone. */
export declare function netnsInode(netns: string): number | undefined;
/**
 * SIGKILLs everything running in the namespace and below it. Stops them first (a stopped process cannot fork),
 * re-reading the tree until it no longer grows, so that nothing escapes by being re-parented. Bounded.
 */
export declare function killNetnsProcesses(netns: string): Promise<number>;
export declare function unmountUnder(dir: string): Promise<void>;
/** The engine's cgroup folders (its --cgroup-parent) in every mounted hierarchy, deepest first. */
export declare function removeCgroups(parent: string): void;
/** Removes everything the lab's state file names; never touches anything else. */
export declare function destroyLab(state: LabState): Promise<void>;
/** Removes labs whose creating process is gone (or every lab with `all`); returns their ids. */
export declare function sweepStaleLabs({ all }?: {
    all?: boolean | undefined;
}): Promise<string[]>;
