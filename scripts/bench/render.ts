/**
 * Writes the reports again from a run's result.json (after a change to the reports): results.md and
 * report.html for a closed-loop run, report.html, results.md and the CSVs for an open-loop run or sweep.
 *   npx tsx scripts/bench/render.ts bench-results/<run>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCommandLine } from '@chanpay/devkit/cli';
import path from 'node:path';
import { compare, goals } from './analysis';
import { csvFiles } from './open/csv';
import { openReportHtml, openReportMarkdown } from './open/report';
import type { OpenBenchResult } from './open/types';
import { writeReports } from './report';
import type { BenchResult } from './types';

const { positionals, fail } = parseCommandLine({
  command: 'npx tsx scripts/bench/render.ts',
  positionals: '<run directory>',
  summary: "Writes the reports again from a run's result.json (after a change to the reports), closed-loop or open-loop.",
  options: {},
});
if (positionals.length !== 1) fail('give one run directory (bench-results/<run>)');
const dir = positionals[0] ?? '';
const parsed = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as BenchResult | OpenBenchResult;
if (parsed.schema === 'chanpay-bench-open/1') {
  const files = { 'report.html': openReportHtml(parsed), 'results.md': openReportMarkdown(parsed), ...csvFiles(parsed) };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), text);
    console.log(path.join(dir, name));
  }
} else {
  const result = parsed;
  result.comparison = compare(result);
  result.goals = goals(result);
  for (const f of writeReports(result, dir)) console.log(f);
}
