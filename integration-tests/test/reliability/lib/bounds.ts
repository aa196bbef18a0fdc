/**
 * How much work a reliability test does. `npm test` runs the small default (scale 1); `npm run test:faults` sets
 * CHANPAY_FAULTS_SCALE (e.g. 10) to try more inputs and hold more load. Every loop stays bounded in count and time.
 */
export const FAULTS_SCALE = Math.max(1, Number(process.env.CHANPAY_FAULTS_SCALE ?? '1') || 1);

/** `base` scaled up for a faults run, never below `base`. */
export function bound(base: number): number {
  return Math.max(base, Math.round(base * FAULTS_SCALE));
}

/** A jest timeout that grows with the scale. */
export function timeoutMs(baseMs: number): number {
  return Math.round(baseMs * Math.max(1, FAULTS_SCALE * 0.75));
}
