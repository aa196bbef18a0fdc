/** One line per finished step, with how far along the run is and an estimate of the time left. */

export interface Step {
  label: string;
  /** Seconds this step is expected to take, asked again whenever the estimate is printed (estimates improve). */
  estimateSeconds(): number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export class Progress {
  private done = 0;
  private readonly started = Date.now();

  constructor(
    private readonly steps: Step[],
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  /** Marks the next step done and prints `message` for it. */
  step(message: string): void {
    this.done++;
    const remaining = this.steps.slice(this.done).reduce((a, s) => a + s.estimateSeconds(), 0);
    const width = String(this.steps.length).length;
    const elapsed = formatDuration((Date.now() - this.started) / 1000);
    this.write(
      `[${String(this.done).padStart(width)}/${this.steps.length}] ${message}   (${elapsed} elapsed, ~${formatDuration(remaining)} left)`,
    );
  }

  /** A line that is not a step (warnings, the current step's live count on a terminal). */
  note(message: string): void {
    this.write(`    ${message}`);
  }

  live(message: string): void {
    if (process.stdout.isTTY) process.stdout.write(`\r    ${message}\x1b[K`);
  }

  clearLive(): void {
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
  }
}
