export interface RunOptions {
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Resolve with the output even when the command fails. */
    allowFailure?: boolean;
}
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}
export declare class CommandError extends Error {
    readonly command: string;
    readonly result: RunResult;
    constructor(command: string, result: RunResult);
}
export declare function run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
/** `ip` with its arguments; `ip -n <ns> …` runs inside a network namespace. */
export declare const ip: (...args: string[]) => Promise<RunResult>;
