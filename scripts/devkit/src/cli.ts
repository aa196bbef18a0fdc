/**
 * The command line of a development script: its options declared once with their help, read by `util.parseArgs`
 * in strict mode. `--help` prints the usage and exits 0; an unknown option, a missing value or a stray argument
 * prints one line of error and the usage, and exits 2.
 */
import { parseArgs } from 'node:util';

export const USAGE_ERROR_EXIT_CODE = 2;

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for the usage. */
  description: string;
  /** The value's placeholder in the usage, e.g. `<n>`. */
  value?: string;
  default?: string | boolean;
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionSpecs> {
  /** How a user runs it, e.g. `npm run bench --`. */
  command: string;
  /** What it does, in a sentence or two. */
  summary: string;
  options: O;
  /** The positional arguments as the usage line shows them (`<scenario> [action]`); absent: none are taken. */
  positionals?: string;
  /** Lines after the options: environment variables, examples. */
  notes?: readonly string[];
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S extends { default: string } ? string : string | undefined;
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: ValueOf<O[K]> };

export interface CommandLine<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
  /** Refuses a value the parser could not judge (a bad number, an unknown mode): one line, the usage, exit 2. */
  fail(message: string): never;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help' };

export function usage<O extends OptionSpecs>(spec: CommandSpec<O>): string {
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`;
    const fallback = o.type === 'string' && o.default !== undefined && o.default !== '' ? ` (default: ${o.default})` : '';
    return [flag, `${o.description}${fallback}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `usage: ${spec.command} [options]${spec.positionals ? ` ${spec.positionals}` : ''}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}

function commandName(spec: CommandSpec<OptionSpecs>): string {
  return spec.command.replace(/\s+--$/, '');
}

/** Prints one line of error and the usage on stderr, and exits 2. */
export function failUsage<O extends OptionSpecs>(spec: CommandSpec<O>, message: string): never {
  process.stderr.write(`${commandName(spec)}: ${message}\n\n${usage(spec)}`);
  process.exit(USAGE_ERROR_EXIT_CODE);
}

/** Node's messages go on after the first sentence with advice that does not apply to these scripts. */
const firstSentence = (message: string) => message.split(/\.\s/)[0]!.replace(/\.$/, '');

function defaultOf(o: OptionSpec): { default?: string | boolean } {
  if (o.default !== undefined) return { default: o.default };
  return o.type === 'boolean' ? { default: false } : {};
}

export function parseCommandLine<O extends OptionSpecs>(spec: CommandSpec<O>, argv: string[] = process.argv.slice(2)): CommandLine<O> {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...defaultOf(o) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: spec.positionals !== undefined, strict: true });
  } catch (e) {
    failUsage(spec, firstSentence((e as Error).message));
  }
  if (parsed.values.help) {
    process.stdout.write(usage(spec));
    process.exit(0);
  }
  const { help: _help, ...values } = parsed.values;
  return { values: values as OptionValues<O>, positionals: parsed.positionals, fail: (message) => failUsage(spec, message) };
}
