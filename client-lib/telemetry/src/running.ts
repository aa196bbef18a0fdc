/** The tracing this process started, if any: kept apart from the SDK so that reading it loads nothing. */
export interface RunningTracing {
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

let running: RunningTracing | null = null;

export function setRunningTracing(t: RunningTracing): void {
  running = t;
}

/** A service's stop shuts it down after its last span, so that nothing pending is lost. */
export function runningTracing(): RunningTracing | null {
  return running;
}
