/**
 * `--help` of the payment server's main: its environment variables with the defaults the configuration schema
 * gives them. Product code, so it has its own few lines instead of the devkit's command-line parser.
 */
import { parseArgs } from 'node:util';
import { parseConfig } from './config';
import { CONFIG_FILE_VARIABLE, CONFIG_VARIABLES, type ConfigVariable } from './config-env';
import { TRACING_VARIABLES } from '@chanpay/telemetry/settings';

export const USAGE_ERROR_EXIT_CODE = 2;

/** The smallest configuration the schema accepts: every other key then holds its default. */
const PLACEHOLDER = {
  accounts: [{ name: 'placeholder', privateKey: `0x${'11'.repeat(32)}` }],
  tokens: [{ token: 'placeholder-token-0000', accounts: ['placeholder'] }],
};

/** What the help says after the variable's description: its default, or that it is required. */
function defaultOf(variable: ConfigVariable, defaults: Record<string, unknown>): string {
  if (variable.kind === 'accounts' || variable.kind === 'tokens') return ` (required, here or in the ${CONFIG_FILE_VARIABLE} file)`;
  const [key, sub] = variable.path;
  const top = defaults[key];
  const value = sub === undefined ? top : (top as Record<string, unknown> | undefined)?.[sub];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return ' (default: none)';
  return ` (default: ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

export function usage(): string {
  const defaults = parseConfig(PLACEHOLDER) as unknown as Record<string, unknown>;
  const rows: [string, string][] = [
    [CONFIG_FILE_VARIABLE, 'a JSON file with the whole configuration (payment-server/src/config.ts); the variables below override it'],
    ...CONFIG_VARIABLES.map((v): [string, string] => [v.name, `${v.help}${defaultOf(v, defaults)}`]),
    ...Object.entries(TRACING_VARIABLES).map(([name, help]): [string, string] => [name, `${help} (default: none)`]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [
    'usage: npm start -w @chanpay/payment-server [-- --help]   (installed: chanpay-payment-server [--help])',
    '',
    'Runs one payment server, configured by the environment (and an optional JSON file).',
    '',
    'options:',
    '  -h, --help  print this help',
    '',
    'environment:',
    ...rows.map(([name, text]) => `  ${name.padEnd(width)}${text}`),
    '',
  ].join('\n');
}

/** `--help` prints the usage and exits 0; any other argument is refused with one line and the usage (exit 2). */
export function readCommandLine(argv: string[] = process.argv.slice(2)): void {
  let help: boolean | undefined;
  try {
    help = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true }).values.help;
  } catch (e) {
    process.stderr.write(`payment server: ${(e as Error).message.split(/\.\s/)[0]}\n\n${usage()}`);
    process.exit(USAGE_ERROR_EXIT_CODE);
  }
  if (help) {
    process.stdout.write(usage());
    process.exit(0);
  }
}
