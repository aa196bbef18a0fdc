import { readFileSync } from 'node:fs';

/** A secret given wrongly: both NAME and NAME_FILE, or a NAME_FILE that cannot be read or is empty. */
export class SecretEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretEnvError';
  }
}

/**
 * A secret from the environment: `NAME` itself, or the contents of the file that `NAME_FILE` names (Docker
 * secrets: `/run/secrets/<name>`), with surrounding whitespace (the file's trailing newline) removed.
 * Undefined when neither is set (an empty value counts as unset). The message of an error never holds the secret.
 */
export function readSecretEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const fileVar = `${name}_FILE`;
  const direct = env[name];
  const file = env[fileVar];
  const hasDirect = direct !== undefined && direct !== '';
  if (file === undefined || file === '') return hasDirect ? direct : undefined;
  if (hasDirect) throw new SecretEnvError(`set ${name} or ${fileVar}, not both`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SecretEnvError(`${fileVar}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const value = text.trim();
  if (value === '') throw new SecretEnvError(`${fileVar}: ${file} is empty`);
  return value;
}
