import { MAX_ORIGINS_PER_WINDOW, OTHER_ORIGINS } from '@chanpay/protocol';
import { openDb } from '../../src/store/db';
import { SqliteOriginRecords } from '../../src/origins/origin-records';

const CH = `0x${'ab'.repeat(32)}`;

describe('SqliteOriginRecords', () => {
  test('sums per role, origin and window to the wei; newest windows first; bounded origins', async () => {
    const db = openDb(':memory:');
    const records = new SqliteOriginRecords(db, 60);
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
    const [w] = await records.windows('provider', CH, 1);
    expect(w!.origins).toHaveLength(MAX_ORIGINS_PER_WINDOW + 1);
    expect(w!.origins.find((o) => o.origin === OTHER_ORIGINS)).toEqual({ origin: OTHER_ORIGINS, calls: 3, amount: '3' });
    db.close();
  });
});
