/**
 * Writes results.md and report.html again from a run's result.json (after a change to the reports):
 *   npx tsx scripts/bench/render.ts bench-results/<run>
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compare, goals } from './analysis';
import { writeReports } from './report';
import type { BenchResult } from './types';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx scripts/bench/render.ts <run directory>');
const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as BenchResult;
result.comparison = compare(result);
result.goals = goals(result);
for (const f of writeReports(result, dir)) console.log(f);
