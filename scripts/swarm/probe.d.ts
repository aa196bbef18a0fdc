export interface ProbeResult {
    check: string;
    ok: boolean;
    detail: string;
}
/** Every check, in order; later ones are skipped once an earlier one fails. */
export declare function probeSwarmLab(): ProbeResult[];
/** One line saying why no Swarm lab can run here, or null. */
export declare function swarmLabUnavailableReason(): string | null;
