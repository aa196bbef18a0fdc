import { z } from 'zod';
import { ChanpayError, toWei } from '@chanpay/protocol';
import { readSecretEnv } from '@chanpay/protocol/node';

/** What `--help` says of one environment variable. */
export interface VariableHelp {
  description: string;
  /** The default, as it would be written in the environment. */
  default?: string;
  /** What leaving it unset means, for a variable without a default value. */
  unset?: string;
  /** A token or key: its value never appears in an error message. */
  secret?: boolean;
}

/** The help of each variable, kept beside its schema (a zod registry: metadata that parsing never sees). */
export const variableHelp = z.registry<VariableHelp>();

/** The environment variables a command reads: name → schema of its value. */
export type Variables = z.ZodRawShape;

/** What `parseEnv` makes of the variables. */
export type EnvOf<V extends Variables> = z.output<z.ZodObject<V>>;

const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

/** A variable whose schema gets `undefined` when it is unset or empty (`FOO=` means "not given", as before). */
export function variable<T extends z.ZodType>(schema: T, help: VariableHelp) {
  const read = z.preprocess(unsetWhenEmpty, schema);
  variableHelp.add(read, help);
  return read;
}

const NON_NEGATIVE_INTEGER = /^\d+$/;

/** A non-negative integer (digits only). */
export function integerVariable(description: string, fallback: number) {
  return variable(z.string().regex(NON_NEGATIVE_INTEGER, 'must be a non-negative integer').transform(Number).prefault(String(fallback)), {
    description,
    default: String(fallback),
  });
}

/** A non-negative integer that may be left unset (then undefined: `unset` says what that means). */
export function optionalIntegerVariable(description: string, unset: string) {
  return variable(z.string().regex(NON_NEGATIVE_INTEGER, 'must be a non-negative integer').transform(Number).optional(), {
    description,
    unset,
  });
}

export function portVariable(fallback: number) {
  return variable(
    z
      .string()
      .regex(/^\d{1,5}$/, 'must be a port number (0 to 65535)')
      .transform(Number)
      .refine((port) => port <= 65_535, 'must be a port number (0 to 65535)')
      .prefault(String(fallback)),
    { description: 'listen port (0: any free port)', default: String(fallback) },
  );
}

const FLAG_VALUES: Record<string, boolean> = {
  '1': true,
  true: true,
  yes: true,
  on: true,
  '0': false,
  false: false,
  no: false,
  off: false,
};

/** A switch, off unless set to 1, true, yes or on. */
export function flagVariable(description: string) {
  return variable(
    z
      .string()
      .transform((value) => FLAG_VALUES[value.toLowerCase()])
      .refine((on) => on !== undefined, 'must be 1, true, yes or on (or 0, false, no or off)')
      .transform((on) => on === true)
      .prefault('off'),
    { description, default: 'off' },
  );
}

/** An amount of wei, written as a decimal integer. */
export function weiVariable(description: string, fallback: bigint) {
  return variable(
    z
      .string()
      .regex(/^\d{1,78}$/, 'must be a decimal integer of wei')
      .transform((value) => toWei(value))
      .prefault(fallback.toString()),
    { description, default: fallback.toString() },
  );
}

export function textVariable(description: string, fallback: string) {
  return variable(z.string().prefault(fallback), { description, default: fallback });
}

export function optionalTextVariable(description: string, unset: string) {
  return variable(z.string().optional(), { description, unset });
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

export function urlVariable(description: string, fallback: string) {
  return variable(httpUrl.prefault(fallback), { description, default: fallback });
}

export function optionalUrlVariable(description: string, unset: string) {
  return variable(httpUrl.optional(), { description, unset });
}

/**
 * Reads the variables from the environment. Every variable that is wrong is named in the one error, with what is
 * wrong and the value given (except for secrets).
 */
export function parseEnv<V extends Variables>(variables: V, env: Environment): EnvOf<V> {
  const read = readEnv(variables, env);
  if (!read.ok) throw settingsError(read.problems);
  return read.env;
}

/** Two sets of variables read together, so that one error names what is wrong in either. */
export function parseEnvs<A extends Variables, B extends Variables>(first: A, second: B, env: Environment): [EnvOf<A>, EnvOf<B>] {
  const firstRead = readEnv(first, env);
  const secondRead = readEnv(second, env);
  if (!firstRead.ok || !secondRead.ok)
    throw settingsError([...(firstRead.ok ? [] : firstRead.problems), ...(secondRead.ok ? [] : secondRead.problems)]);
  return [firstRead.env, secondRead.env];
}

type Environment = Readonly<Record<string, string | undefined>>;

function settingsError(problems: string[]): ChanpayError {
  return new ChanpayError('VALIDATION_ERROR', problems.join('; '));
}

/**
 * The environment with every secret variable resolved: NAME itself or the contents of the file NAME_FILE names
 * (Docker secrets under /run/secrets), so that a stack file never holds a key or token in plain text.
 */
function withSecretFiles(variables: Variables, env: Environment, problems: string[]): Environment {
  let resolved: Record<string, string | undefined> | null = null;
  for (const [name, schema] of Object.entries(variables)) {
    if (!variableHelp.get(schema)?.secret || env[`${name}_FILE`] === undefined) continue;
    resolved ??= { ...env };
    try {
      resolved[name] = readSecretEnv(env, name);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return resolved ?? env;
}

function readEnv<V extends Variables>(variables: V, given: Environment): { ok: true; env: EnvOf<V> } | { ok: false; problems: string[] } {
  const fileProblems: string[] = [];
  const env = withSecretFiles(variables, given, fileProblems);
  if (fileProblems.length > 0) return { ok: false, problems: fileProblems };
  const result = z.object(variables).safeParse(env);
  if (result.success) return { ok: true, env: result.data };
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const schema = variables[name];
    const given = env[name];
    const shown = given === undefined || (schema && variableHelp.get(schema)?.secret) ? '' : `, got "${given.slice(0, 80)}"`;
    return `${name} ${issue.message}${shown}`;
  });
  return { ok: false, problems };
}

/** One line per variable: name, default (or what unset means) and description, in columns. */
export function describeVariables(variables: Variables): string[] {
  const rows = Object.entries(variables).map(([name, schema]) => {
    const help = variableHelp.get(schema);
    const fallback = help?.default !== undefined ? `default ${help.default}` : help?.unset ? `unset: ${help.unset}` : '';
    const description = (help?.description ?? '') + (help?.secret ? ` (or ${name}_FILE: a file holding it)` : '');
    return [name, fallback, description] as const;
  });
  const nameWidth = Math.max(...rows.map(([name]) => name.length));
  const fallbackWidth = Math.max(...rows.map(([, fallback]) => fallback.length));
  return rows.map(([name, fallback, description]) =>
    `  ${name.padEnd(nameWidth)}  ${fallback.padEnd(fallbackWidth)}  ${description}`.trimEnd(),
  );
}
