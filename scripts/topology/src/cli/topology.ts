/**
 * `npm run topology -- <command>`: look at a topology without starting it.
 *   show <spec>     what it holds: services, teams, edges with their payment, calls per request
 *   json <spec>     the topology as a file (a generator's output, to edit and run with --topology <file>)
 *   dot <spec>      the call graph in Graphviz's dot language
 *   check <spec>    validate only (exit 1 with every problem)
 *   schema          print the JSON Schema (--write: into scripts/topology/topology.schema.json)
 */
import { writeFileSync } from 'node:fs';
import { formatWei } from '../builder/start';
import { GENERATOR_HELP } from '../generators';
import { expectedCalls } from '../graph';
import { SCHEMA_FILE, topologyJsonSchemaText } from '../json-schema';
import { loadTopology } from '../load';
import type { ResolvedTopology } from '../model';
import { parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npm run topology --',
  summary: 'Looks at a topology without starting it. <spec> is a topology file (JSON) or a generator.',
  positionals: '<command> [<spec>]',
  options: {
    'total-work': { type: 'string', value: '<w>', description: 'keccak:<rounds> or busy:<µs> per request, split over the workers' },
    mode: { type: 'string', value: '<m>', description: 'local, remote or off on every edge' },
    write: { type: 'boolean', description: '(schema) write the file instead of printing it' },
  },
  notes: [
    'commands:',
    '  show <spec>     services, teams, ports, every edge with its payment settings, calls per request',
    "  json <spec>     the topology as a JSON file (save a generator's output, edit it, run it with --topology <file>)",
    "  dot <spec>      the call graph in Graphviz's dot language (| dot -Tsvg > graph.svg)",
    '  check <spec>    validate only: exit 1 and list every problem',
    "  schema          print the topology file's JSON Schema (--write: update scripts/topology/topology.schema.json)",
    '',
    GENERATOR_HELP,
  ],
} satisfies CommandSpec<OptionSpecs>;

function show(t: ResolvedTopology): string {
  const visits = expectedCalls(t);
  const lines = [
    `${t.name}: ${t.description ?? ''}`.trim(),
    `chain: ${t.chain.kind}${t.chain.url ? ` ${t.chain.url}` : ''}, chain id ${t.chain.chainId}, block time ${t.chain.blockTime || 'instant'}`,
    'teams:',
  ];
  for (const team of t.teams)
    lines.push(
      `  ${team.name}: ${team.paymentServer.name}${team.paymentServer.port ? ` :${team.paymentServer.port}` : ''}, accounts ${team.accounts.map((a) => `${a.name} (voucher key: ${a.voucherKey})`).join(', ')}`,
    );
  lines.push('services:');
  for (const s of t.services) {
    const work = s.work
      ? `, work ${s.work.keccakRounds ? `${s.work.keccakRounds} keccak rounds` : `${s.work.busyMicros} µs busy`} + ${s.work.responseBytes} B`
      : '';
    const role = t.entry.includes(s.name) ? 'entry' : `${formatWei(s.price)} per call (${s.providerMode})`;
    lines.push(
      `  ${s.name} [${s.kind}, ${s.team}${s.port ? `, :${s.port}` : ''}] ${role}${work}, ${visits
        .get(s.name)!
        .toFixed(3)
        .replace(/\.?0+$/, '')} calls per request`,
    );
  }
  lines.push('edges:');
  for (const e of t.edges) {
    const p = e.payment;
    lines.push(
      `  ${e.from} -> ${e.to} (group ${e.group}, p=${e.probability}): ${p.mode}${p.mode === 'off' ? '' : `, prepay ${p.prepay}, deposit ${formatWei(p.deposit)}, challenge ${p.challengePeriod} s${p.sync ? ', sync' : ''}`}`,
    );
  }
  lines.push(`entry: ${t.entry.join(', ')}`);
  return lines.join('\n');
}

function dot(t: ResolvedTopology): string {
  const lines = [`digraph "${t.name}" {`, '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const s of t.services)
    lines.push(
      `  "${s.name}" [label="${s.name}\\n${t.entry.includes(s.name) ? 'entry' : formatWei(s.price)}"${t.entry.includes(s.name) ? ', style="rounded,bold"' : ''}];`,
    );
  for (const e of t.edges)
    lines.push(`  "${e.from}" -> "${e.to}" [label="${e.payment.mode}${e.probability < 1 ? ` p=${e.probability}` : ''}"];`);
  lines.push('}');
  return lines.join('\n');
}

function main(): void {
  const cli = parseCommandLine(COMMAND);
  const { values, positionals } = cli;
  // Declared with its type, so that TypeScript narrows after a call (a destructured `never` function does not).
  const fail: (message: string) => never = cli.fail;
  const [command, spec, ...rest] = positionals;
  if (rest.length) fail(`unexpected arguments: ${rest.join(' ')}`);
  if (command === 'schema') {
    if (values.write) {
      writeFileSync(SCHEMA_FILE, topologyJsonSchemaText());
      process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    } else process.stdout.write(topologyJsonSchemaText());
    return;
  }
  if (!command || !['show', 'json', 'dot', 'check'].includes(command))
    fail(`give a command: show, json, dot, check or schema (--help lists them)${command ? `; "${command}" is none of them` : ''}`);
  if (!spec) fail(`${command} needs a topology: a file or a generator, e.g. ba:12,7`);
  const mode = values.mode;
  if (mode !== undefined && mode !== 'local' && mode !== 'remote' && mode !== 'off')
    fail(`--mode must be local, remote or off, got "${mode}"`);
  try {
    const t = loadTopology(spec, { totalWork: values['total-work'], overrides: mode ? { mode } : undefined });
    if (command === 'show') process.stdout.write(show(t) + '\n');
    if (command === 'dot') process.stdout.write(dot(t) + '\n');
    if (command === 'check') process.stdout.write(`${spec}: valid (${t.services.length} services, ${t.edges.length} edges)\n`);
    // Every default written out, with the overrides and the total work applied: exactly what would run.
    if (command === 'json') process.stdout.write(JSON.stringify(t.source, null, 2) + '\n');
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
