import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One row of the table in docs/reliability.md. */
export interface Figure {
  scenario: string;
  /** The load held while faults were injected, in words and numbers. */
  load: string;
  /** The faults injected (or "none"). */
  faults: string;
  /** The hostile inputs tried, in words and numbers. */
  inputs: string;
  /** What was lost: accepted vouchers not paid out, or state changed by a rejected request. The goal: nothing. */
  lost: string;
  /** Raw numbers behind the words (requests, accepted, rejected, seconds…). */
  numbers: Record<string, number | string>;
  chain: string;
  durationMs: number;
}

/**
 * Keeps the figure of a scenario. When CHANPAY_FAULTS_FIGURES names a directory (set by `npm run test:faults`),
 * each figure is written there as its own JSON file, because jest runs test files in separate workers.
 */
export function recordFigure(figure: Figure): void {
  const dir = process.env.CHANPAY_FAULTS_FIGURES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // The same scenario on the PostgreSQL store (CHANPAY_FAULTS_STORE=postgres) is a row of its own.
  if (process.env.CHANPAY_FAULTS_STORE === 'postgres' && !/PostgreSQL/.test(figure.scenario))
    figure = { ...figure, scenario: `${figure.scenario} (PostgreSQL store)` };
  const file = figure.scenario
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(figure, null, 2) + '\n');
}

/** A stopwatch for `durationMs`. */
export function stopwatch(): () => number {
  const started = Date.now();
  return () => Date.now() - started;
}
