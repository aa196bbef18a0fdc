/** Runs a command with a time limit; rejects with its exit status and the tail of its stderr. */
import { execFile } from 'node:child_process';

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Resolve with the output even when the command fails. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    super(`${command} failed (exit ${result.code})${tail ? `: ${tail}` : ''}`);
    this.name = 'CommandError';
  }
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        env: opts.env ?? process.env,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : e.killed ? 124 : 127) : 0;
        const result = {
          code,
          stdout,
          stderr: e?.killed
            ? `${stderr}\ntimed out after ${opts.timeoutMs ?? 30_000} ms`
            : stderr || (e && code === 127 ? e.message : stderr),
        };
        if (code !== 0 && !opts.allowFailure) reject(new CommandError(`${cmd} ${args.join(' ')}`, result));
        else resolve(result);
      },
    );
  });
}

/** `ip` with its arguments; `ip -n <ns> …` runs inside a network namespace. */
export const ip = (...args: string[]) => run('ip', args, { timeoutMs: 10_000 });
