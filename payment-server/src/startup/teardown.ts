/** What a start has set up, undone in reverse order; one step failing does not keep the others from running. */
export class Teardown {
  private readonly steps: (() => Promise<void> | void)[] = [];

  add(...steps: (() => Promise<void> | void)[]): void {
    this.steps.push(...steps);
  }

  /** Runs every step once; a second call finds nothing left to do. */
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        /* keep undoing the rest */
      }
    }
  }
}
