/**
 * Runs a job every `intervalMs`, never two at once (the thesis's timer let ticks overlap), with exponential
 * backoff while it fails. `stop()` waits for the running tick.
 */
export class Loop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<void>,
    private readonly onError: (name: string, e: unknown, failures: number) => void,
    private readonly maxBackoffMs = 30_000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a tick now (after the current one, if any). */
  async kick(): Promise<void> {
    if (this.running) await this.running;
    if (this.stopped) return;
    clearTimeout(this.timer);
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.job();
        this.failures = 0;
      } catch (e) {
        this.failures++;
        this.onError(this.name, e, this.failures);
      } finally {
        this.running = undefined;
        const backoff = this.failures === 0 ? this.intervalMs : Math.min(this.intervalMs * 2 ** this.failures, this.maxBackoffMs);
        this.schedule(backoff);
      }
    })();
    return this.running;
  }
}
