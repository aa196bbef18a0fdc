/** Bounded polling: every wait in the Swarm lab goes through here, so none can hang. */
export declare const sleep: (ms: number) => Promise<unknown>;
export interface WaitOptions {
    timeoutMs: number;
    intervalMs?: number;
}
/**
 * Calls `probe` until it returns a value other than undefined, at most `timeoutMs`; a thrown error counts as
 * "not yet" and its message is kept. Rejects with `what`, the time waited and the last reason.
 */
export declare function waitFor<T>(what: string, probe: () => Promise<T | undefined>, opts: WaitOptions, describe?: () => string): Promise<T>;
/** Rejects after `ms` with `what` unless the promise settles first. */
export declare function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T>;
