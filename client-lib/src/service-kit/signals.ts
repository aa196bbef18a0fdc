import type { Logger } from '../logger';

/** A stop that has not finished by then exits the process anyway (status 1). */
const STOP_TIMEOUT_MS = 15_000;

/** Stops on SIGINT / SIGTERM, once, then exits. */
export function stopOnSignals(stop: () => Promise<void>, logger?: Logger): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger?.info({ signal }, 'stopping');
    const timer = setTimeout(() => process.exit(1), STOP_TIMEOUT_MS);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger?.error({ err: (e as Error).message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
