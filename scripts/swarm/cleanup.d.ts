export declare class Cleanup {
    private readonly log;
    private steps;
    private running;
    private readonly onSignal;
    constructor(log?: (line: string) => void);
    /** Registers an undo step; steps run last-in, first-out. */
    add(what: string, undo: () => Promise<void>, timeoutMs?: number): void;
    /** Runs the undo steps on SIGINT and SIGTERM too, then exits (130 / 143). */
    handleSignals(): void;
    /** Runs every step once (later calls share the first run); resolves with the steps that failed. */
    run(): Promise<string[]>;
}
