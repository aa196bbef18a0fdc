/**
 * Writes results.md and report.html again from a run's result.json (after a change to the reports):
 *   npx tsx scripts/bench/render.ts bench-results/<run>
 */
import { readFileSync } from 'node:fs';
import { parseCommandLine } from '@chanpay/devkit/cli';
import path from 'node:path';
import { compare, goals } from './analysis';
import { writeReports } from './report';
import type { BenchResult } from './types';

const { positionals, fail } = parseCommandLine({
  command: 'npx tsx scripts/bench/render.ts',
  positionals: '<run directory>',
  summary: "Writes results.md and report.html again from a run's result.json (after a change to the reports).",
  options: {},
});
if (positionals.length !== 1) fail('give one run directory (bench-results/<run>)');
const dir = positionals[0] ?? '';
const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as BenchResult;
result.comparison = compare(result);
result.goals = goals(result);
for (const f of writeReports(result, dir)) console.log(f);
