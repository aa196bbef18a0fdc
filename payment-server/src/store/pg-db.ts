import pg from 'pg';
import type { Logger } from '../logger';
import { POSTGRES, migrationsFor } from './migrations';

export type Pool = pg.Pool;
export type Client = pg.PoolClient | pg.Client;

const INT8 = 20;

/** Our BIGINT columns hold seconds, milliseconds and counts: safe as numbers (amounts are text). */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, types: TYPES, application_name: 'chanpay-payment-server' };
}

/** A pool on the database; an idle connection that breaks (the server restarted) is logged and replaced. */
export function createPool(url: string, log: Logger, max = 20): Pool {
  const pool = new pg.Pool({ ...clientConfig(url), max, connectionTimeoutMillis: 10_000 });
  pool.on('error', (e) => log.warn({ err: e.message }, 'a PostgreSQL connection broke; it will be replaced'));
  return pool;
}

/**
 * Runs `job` in one transaction on one connection; rolls back when it throws. While checked out a connection has
 * no listener of the pool's: one that breaks between two queries (PostgreSQL killed) would emit an unhandled
 * 'error' and end the process, so it gets one here, and is released as broken.
 */
export async function inTransaction<T>(pool: Pool, job: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  const onError = (e: Error) => (broken = e);
  c.on('error', onError);
  try {
    await c.query('BEGIN');
    const result = await job(c);
    await c.query('COMMIT');
    return result;
  } catch (e) {
    await c.query('ROLLBACK').catch((err: Error) => (broken = err));
    throw e;
  } finally {
    c.removeListener('error', onError);
    c.release(broken);
  }
}

/** Takes a lock named by text for the rest of the transaction (every process on the database sees it). */
export function lockInTransaction(c: Client, name: string): Promise<unknown> {
  return c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
}

/**
 * Applies pending migrations in one transaction, under a lock, so that replicas starting together apply each
 * once. Returns the schema version.
 */
export async function migratePostgres(pool: Pool): Promise<number> {
  const migrations = migrationsFor(POSTGRES);
  return inTransaction(pool, async (c) => {
    await lockInTransaction(c, 'chanpay:migrate');
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = (await c.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
    if (!row) await c.query('INSERT INTO schema_version (version) VALUES (0)');
    for (let v = row?.version ?? 0; v < migrations.length; v++) await c.query(migrations[v]!);
    await c.query('UPDATE schema_version SET version = $1', [migrations.length]);
    return migrations.length;
  });
}
