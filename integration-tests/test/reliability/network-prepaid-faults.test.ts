import { timeoutMs } from './lib/bounds';
import { providerServiceKills, type NetworkKind } from './lib/network-faults';
import { startFaultNetwork, type FaultNetwork } from './lib/network-scenario';

/**
 * The example network in local batched mode with prepaid tickets (docs/protocol.md): the public service runs with
 * PREPAY_CALLS=20, so one voucher pays 20 calls ahead and the next 19 carry a hash-chain ticket. kill -9 of the
 * provider services under /action load: a restarted provider forgets its blocks, so the consumer loses their unused
 * rest (bounded, checked in lib/network-faults.ts); the providers are still paid every served call, books balance.
 */

const kind: NetworkKind = { label: 'local, batched, prepaid tickets, PREPAY_CALLS=20', mode: 'local', sync: false, prepayCalls: 20 };

describe('example network, local, batched, prepaid tickets: faults under /action load', () => {
  let f: FaultNetwork;

  beforeAll(async () => {
    // `env` goes to every child; only the consumer (public) reads PREPAY_CALLS.
    f = await startFaultNetwork({
      mode: kind.mode,
      sync: kind.sync,
      claimIntervalSeconds: 1,
      env: { PREPAY_CALLS: String(kind.prepayCalls) },
    });
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  test(
    'kill -9 of random-number and of persistence: every served call is paid, the consumer loses at most the prepaid rest, books balance to the wei',
    () => providerServiceKills(f, kind),
    timeoutMs(120_000),
  );

  test('no private key and no token in any output of any process of the run', () => {
    const hits = f.scanSecrets();
    expect(f.collector.size).toBeGreaterThan(50);
    expect(hits).toEqual([]);
  });
});
