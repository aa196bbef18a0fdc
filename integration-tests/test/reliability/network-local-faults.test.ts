import { timeoutMs } from './lib/bounds';
import {
  closeWhileProviderServerDown,
  consumerRestart,
  paymentServerKills,
  providerServiceKills,
  type NetworkKind,
} from './lib/network-faults';
import { startFaultNetwork, type FaultNetwork } from './lib/network-scenario';

/**
 * The example network in local mode (services sign and verify in process; vouchers reach the providers' payment
 * server before the answer in `sync` mode, in batches otherwise), under a load of concurrent `/action` calls:
 * kill -9 of the provider services, of each payment server, of the consumer, and a close started while the
 * providers' payment server is down. Each scenario ends with the on-chain books (lib/network-faults.ts). Then a
 * scan of every process's whole output (debug level) for the run's private keys and tokens.
 */

describe.each<NetworkKind>([
  { label: 'local, sync', mode: 'local', sync: true },
  { label: 'local, batched', mode: 'local', sync: false },
])('example network, $label: faults under /action load', (kind) => {
  let f: FaultNetwork;

  beforeAll(async () => {
    f = await startFaultNetwork({ mode: kind.mode, sync: kind.sync, claimIntervalSeconds: 1 });
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  test(
    'kill -9 of random-number and of persistence: every served call is paid, books balance to the wei',
    () => providerServiceKills(f, kind),
    timeoutMs(120_000),
  );

  test(
    'kill -9 of payment-server-1 and of payment-server-2: nothing acknowledged is lost, books balance to the wei',
    () => paymentServerKills(f, kind),
    timeoutMs(120_000),
  );

  if (!kind.sync) {
    test(
      "kill -9 of the consumer (public) mid-stream: it resumes from the provider's latest voucher, nothing paid twice",
      () => consumerRestart(f, kind),
      timeoutMs(120_000),
    );
  }

  // Batched: the services' pending batches reach payment-server-1 after it has seen the close (bug 4).
  test(
    'the consumer closes while payment-server-1 is down; it comes back inside the challenge period and claims every served call',
    () => closeWhileProviderServerDown(f, kind),
    timeoutMs(120_000),
  );

  test('no private key and no token in any output of any process of the run', () => {
    const hits = f.scanSecrets();
    expect(f.collector.size).toBeGreaterThan(100);
    expect(hits).toEqual([]);
  });
});
