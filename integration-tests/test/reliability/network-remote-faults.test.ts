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
 * The example network in remote mode (the thesis topology: payment-server-2 signs every voucher of the public
 * service, payment-server-1 verifies and stores every voucher before the provider answers), under a load of
 * concurrent `/action` calls: kill -9 of the provider services, of each payment server, of the consumer, and a
 * close started while the providers' payment server is down. Each scenario ends with the on-chain books
 * (lib/network-faults.ts). Then a scan of every process's whole output (debug level) for the run's secrets.
 */

const kind: NetworkKind = { label: 'remote', mode: 'remote', sync: false };

describe('example network, remote: faults under /action load', () => {
  let f: FaultNetwork;

  beforeAll(async () => {
    f = await startFaultNetwork({ mode: 'remote', claimIntervalSeconds: 1 });
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

  test(
    'kill -9 of the consumer (public) mid-stream: it continues from what its payment server signed, nothing paid twice',
    () => consumerRestart(f, kind),
    timeoutMs(120_000),
  );

  test(
    'the consumer closes while payment-server-1 is down; it comes back inside the challenge period and claims every served call',
    () => closeWhileProviderServerDown(f, kind),
    timeoutMs(120_000),
  );

  test('no private key and no token in any output of any process of the run', () => {
    expect(f.collector.size).toBeGreaterThan(100);
    expect(f.scanSecrets()).toEqual([]);
  });
});
