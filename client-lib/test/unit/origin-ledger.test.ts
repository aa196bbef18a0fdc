import { MAX_ORIGINS_PER_WINDOW, OTHER_ORIGINS } from '@chanpay/protocol';
import { OriginLedger } from '../../src/origin/origin-ledger';

const CH = `0x${'ab'.repeat(32)}`;

describe('OriginLedger', () => {
  test('sums calls and wei per channel, role, origin and window, newest window first', () => {
    let now = 120;
    const ledger = new OriginLedger({ windowSeconds: 60, maxWindows: 2, now: () => now });
    ledger.record('provider', CH, 'front-b', 1, 5n);
    ledger.record('provider', CH, 'front-a', 1, 5n);
    ledger.record('provider', CH, 'front-a', 1, 7n);
    ledger.record('consumer', CH, 'front-a', 1, 3n);
    now = 185;
    ledger.record('provider', CH, 'front-a', 2, 10n ** 30n);
    expect(ledger.report({ channelId: CH })).toEqual([
      {
        channelId: CH,
        role: 'provider',
        windowSeconds: 60,
        windows: [
          { start: 180, origins: [{ origin: 'front-a', calls: 2, amount: (10n ** 30n).toString() }] },
          {
            start: 120,
            origins: [
              { origin: 'front-a', calls: 2, amount: '12' },
              { origin: 'front-b', calls: 1, amount: '5' },
            ],
          },
        ],
      },
      {
        channelId: CH,
        role: 'consumer',
        windowSeconds: 60,
        windows: [{ start: 120, origins: [{ origin: 'front-a', calls: 1, amount: '3' }] }],
      },
    ]);
    // Bounded: the oldest window goes when a third begins; `windows` limits the answer.
    now = 240;
    ledger.record('provider', CH, 'x', 1, 1n);
    expect(ledger.report({ channelId: CH })[0]!.windows.map((w) => w.start)).toEqual([240, 180]);
    expect(ledger.report({ windows: 1 })[0]!.windows.map((w) => w.start)).toEqual([240]);
    expect(ledger.report({ windows: 0 })[0]!.windows).toEqual([]);
    expect(ledger.report({ channelId: `0x${'cd'.repeat(32)}` })).toEqual([]);
  });

  test('origins beyond the per-window bound are summed under ~other, known ones keep their own', () => {
    const ledger = new OriginLedger({ now: () => 0 });
    for (let i = 0; i < MAX_ORIGINS_PER_WINDOW + 10; i++) ledger.record('provider', CH, `o${i}`, 1, 1n);
    ledger.record('provider', CH, 'o0', 1, 1n);
    const w = ledger.report()[0]!.windows[0]!;
    expect(w.origins).toHaveLength(MAX_ORIGINS_PER_WINDOW + 1);
    expect(w.origins.find((o) => o.origin === OTHER_ORIGINS)).toEqual({ origin: OTHER_ORIGINS, calls: 10, amount: '10' });
    expect(w.origins.find((o) => o.origin === 'o0')).toEqual({ origin: 'o0', calls: 2, amount: '2' });
  });
});
