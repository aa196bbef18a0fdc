import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { postgresBinDir, postgresUnavailable, startPostgres } from '@chanpay/devkit';

const why = postgresUnavailable();
if (why) console.log(`throwaway PostgreSQL test skipped: ${why}`);
const maybe = why ? describe.skip : describe;

function psql(url: string, sql: string): string {
  const r = spawnSync(path.join(postgresBinDir() as string, 'psql'), [url, '-qAtc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

maybe('devkit startPostgres: a private server per test', () => {
  test('serves a database on 127.0.0.1, keeps committed rows across a kill -9 and a restart, and removes itself', async () => {
    const pg = await startPostgres();
    try {
      expect(pg.url).toMatch(/^postgres:\/\/chanpay@127\.0\.0\.1:\d+\/chanpay$/);
      psql(pg.url, 'CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2), (3)');
      await pg.kill();
      expect(() => psql(pg.url, 'SELECT 1')).toThrow();
      await pg.restart();
      expect(psql(pg.url, 'SELECT sum(n) FROM t')).toBe('6');
      const other = await pg.createDatabase('second');
      expect(psql(other, 'SELECT current_database()')).toBe('second');
      await expect(pg.createDatabase('x; DROP DATABASE chanpay')).rejects.toThrow(/not a plain database name/);
    } finally {
      await pg.stop();
    }
    expect(() => psql(pg.url, 'SELECT 1')).toThrow();
  }, 60_000);
});
