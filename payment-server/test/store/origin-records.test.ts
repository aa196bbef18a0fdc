import { MAX_ORIGINS_PER_WINDOW, OTHER_ORIGINS } from '@chanpay/protocol';
import { postgresUnavailable, startPostgres, type ThrowawayPostgres } from '@chanpay/devkit';
import { openDb } from '../../src/store/db';
import { createPool, migratePostgres, type Pool } from '../../src/store/pg-db';
import { createLogger } from '../../src/logger';
import type { OriginRecords } from '../../src/origins/origin-records';
import { SqliteOriginRecords } from '../../src/origins/sqlite-origin-records';
import { PgOriginRecords } from '../../src/origins/pg-origin-records';

const CH = `0x${'ab'.repeat(32)}`;
const noPostgres = postgresUnavailable();

/** The same records on both stores: sums to the wei, newest windows first, origins bounded per window. */
async function checkRecords(records: OriginRecords): Promise<void> {
  await records.record('provider', CH, 'front-a', 1, 10n ** 40n, 61);
  await records.record('provider', CH, 'front-a', 1, 1n, 100);
  await records.record('provider', CH, 'front-b', 1, 2n, 119);
  await records.record('consumer', CH, 'front-b', 1, 9n, 119);
  await records.record('provider', CH, 'front-b', 3, 6n, 130);
  expect(await records.windows('provider', CH, 10)).toEqual([
    { start: 120, origins: [{ origin: 'front-b', calls: 3, amount: '6' }] },
    {
      start: 60,
      origins: [
        { origin: 'front-a', calls: 2, amount: (10n ** 40n + 1n).toString() },
        { origin: 'front-b', calls: 1, amount: '2' },
      ],
    },
  ]);
  expect(await records.windows('provider', CH, 1)).toHaveLength(1);
  expect(await records.windows('provider', CH, 0)).toEqual([]);
  expect(await records.windows('consumer', CH, 5)).toEqual([{ start: 60, origins: [{ origin: 'front-b', calls: 1, amount: '9' }] }]);
  for (let i = 0; i < MAX_ORIGINS_PER_WINDOW + 3; i++) await records.record('provider', CH, `o${i}`, 1, 1n, 600);
  // In a full window an origin it knows keeps its own row; a new one goes to OTHER_ORIGINS.
  await records.record('provider', CH, 'o0', 2, 5n, 610);
  await records.record('provider', CH, 'late', 1, 4n, 610);
  const [w] = await records.windows('provider', CH, 1);
  expect(w!.origins).toHaveLength(MAX_ORIGINS_PER_WINDOW + 1);
  expect(w!.origins.find((o) => o.origin === 'o0')).toEqual({ origin: 'o0', calls: 3, amount: '6' });
  expect(w!.origins.find((o) => o.origin === OTHER_ORIGINS)).toEqual({ origin: OTHER_ORIGINS, calls: 4, amount: '7' });
}

describe('origin records on SQLite', () => {
  test('sums per role, origin and window to the wei; newest windows first; bounded origins', async () => {
    const db = openDb(':memory:');
    try {
      await checkRecords(new SqliteOriginRecords(db, 60));
    } finally {
      db.close();
    }
  });
});

(noPostgres ? describe.skip : describe)(`origin records on PostgreSQL${noPostgres ? ` (skipped: ${noPostgres})` : ''}`, () => {
  let pgServer: ThrowawayPostgres;
  const pools: Pool[] = [];
  beforeAll(async () => {
    pgServer = await startPostgres();
  });
  afterAll(async () => {
    for (const p of pools) await p.end();
    await pgServer?.stop();
  });
  const poolOn = async (db: string) => {
    const pool = createPool(await pgServer.createDatabase(db), createLogger('silent'));
    pools.push(pool);
    await migratePostgres(pool);
    return pool;
  };

  test('sums per role, origin and window to the wei; newest windows first; bounded origins', async () => {
    await checkRecords(new PgOriginRecords(await poolOn('origins_one'), 60));
  });

  test('two replicas recording the same window at once lose no call and no wei', async () => {
    const url = await pgServer.createDatabase('origins_two');
    const [a, b] = [createPool(url, createLogger('silent')), createPool(url, createLogger('silent'))];
    pools.push(a, b);
    await migratePostgres(a);
    const replicas = [new PgOriginRecords(a, 60), new PgOriginRecords(b, 60)];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        replicas[i % 2]!.record('provider', CH, i % 3 === 0 ? 'front-a' : 'front-b', 1, 10n ** 18n + 1n, 65),
      ),
    );
    const [w] = await replicas[0]!.windows('provider', CH, 1);
    const byOrigin = Object.fromEntries(w!.origins.map((o) => [o.origin, o]));
    expect(byOrigin['front-a']).toEqual({ origin: 'front-a', calls: 67, amount: (67n * (10n ** 18n + 1n)).toString() });
    expect(byOrigin['front-b']).toEqual({ origin: 'front-b', calls: 133, amount: (133n * (10n ** 18n + 1n)).toString() });
  });
});
