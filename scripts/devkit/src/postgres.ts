import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export interface ThrowawayPostgres {
  /** `postgres://` URL of the database `chanpay` on 127.0.0.1, user `chanpay`, no password (trust on loopback). */
  url: string;
  port: number;
  pid: number;
  /** A further empty database on the same server (for tests that need one each). */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and deletes its data directory. */
  stop(): Promise<void>;
  /** Stops the server the hard way (SIGKILL of the postmaster) and keeps the data, for crash tests. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory (after `kill`). */
  restart(): Promise<void>;
}

/** The directory of PostgreSQL's server programs (Debian: /usr/lib/postgresql/<major>/bin), or undefined. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.CHANPAY_PG_BIN;
  if (fromEnv && existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], 'bin') : undefined;
}

/** Why a throwaway PostgreSQL cannot start here, in one line, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL server programs not found (apt-get install postgresql, or run .ci/setup-postgres.sh)';
  if (process.getuid?.() === 0 && !serverUser()) return 'running as root and no "postgres" user to run the server as';
  return undefined;
}

/** PostgreSQL refuses to run as root: as root the server runs as the Debian package's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * Starts a private PostgreSQL server for a test or a benchmark: a fresh data directory under the system's temp
 * directory, 127.0.0.1 on a free port, fsync on (durability is what the crash tests check), trust auth on
 * loopback only. Nothing is shared with any other server on the machine.
 */
export async function startPostgres(opts: { port?: number; fsync?: boolean } = {}): Promise<ThrowawayPostgres> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = postgresBinDir() as string;
  const user = serverUser();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-pg-'));
  const dataDir = path.join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const asServer = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'chanpay', '--auth=trust', '-E', 'UTF8', '--no-instructions'], {
    encoding: 'utf8',
    cwd: dir,
    ...asServer,
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = opts.port ?? (await freePort());
  const args = [
    '-D',
    dataDir,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    `fsync=${opts.fsync === false ? 'off' : 'on'}`,
    '-c',
    'max_connections=200',
    '-c',
    'log_min_messages=warning',
  ];
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    log = '';
    child = spawn(path.join(bin, 'postgres'), args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], ...asServer });
    child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${log}`);
      const ready = spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      if (ready.status === 0) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`postgres did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });
  const psql = (sql: string) => {
    const r = spawnSync(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'chanpay', '-d', 'postgres', '-qAtc', sql], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  };
  await launch();
  psql('CREATE DATABASE chanpay');
  const urlOf = (db: string) => `postgres://chanpay@127.0.0.1:${port}/${db}`;
  return {
    url: urlOf('chanpay'),
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    createDatabase: async (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      psql(`CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    stop: async () => {
      const done = exited();
      child?.kill('SIGINT');
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      const done = exited();
      child?.kill('SIGKILL');
      await done;
      // The postmaster's children notice its death and exit; wait until the port is free before a restart.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']).status === 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    restart: async () => {
      rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
      await launch();
    },
  };
}
