/** Command-line parsing shared by the topology commands: --help prints the usage, a bad option one line and the usage. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: T,
  argv = process.argv.slice(2),
  allowPositionals = false,
): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean }>>['values']; positionals: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage.trimEnd() + '\n');
    process.exit(0);
  }
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    process.stderr.write(`${(e as Error).message.split('\n')[0]}\n\n${usage.trimEnd()}\n`);
    process.exit(2);
  }
}

/** An integer option within bounds, or exit with one line naming it. */
export function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) fail(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
