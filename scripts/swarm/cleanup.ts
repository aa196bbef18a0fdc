/**
 * What a Swarm lab has created, undone in reverse order: every step runs (bounded) even when an earlier one
 * fails, and SIGINT / SIGTERM run the same steps before the process exits.
 */
import { withTimeout } from './wait';

interface Step {
  what: string;
  undo: () => Promise<void>;
  timeoutMs: number;
}

export class Cleanup {
  private steps: Step[] = [];
  private running: Promise<string[]> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.log(`${signal}: tearing the Swarm lab down`);
    void this.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** Registers an undo step; steps run last-in, first-out. */
  add(what: string, undo: () => Promise<void>, timeoutMs = 30_000): void {
    this.steps.push({ what, undo, timeoutMs });
  }

  /** Runs the undo steps on SIGINT and SIGTERM too, then exits (130 / 143). */
  handleSignals(): void {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Runs every step once (later calls share the first run); resolves with the steps that failed. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const failed: string[] = [];
      for (const step of this.steps.reverse()) {
        const t0 = Date.now();
        try {
          await withTimeout(step.what, step.undo(), step.timeoutMs);
          this.log(`cleanup: ${step.what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        } catch (e) {
          failed.push(`${step.what}: ${(e as Error).message}`);
          this.log(`cleanup: ${step.what} failed: ${(e as Error).message}`);
        }
      }
      this.steps = [];
      process.removeListener('SIGINT', this.onSignal);
      process.removeListener('SIGTERM', this.onSignal);
      return failed;
    })();
    return this.running;
  }
}
