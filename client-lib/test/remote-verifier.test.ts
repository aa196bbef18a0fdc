import { ChanpayError, decodeVoucher, finney, type ChannelInfo, type Voucher } from '@chanpay/protocol';
import { PaymentServerClient } from '../src/payment-server-client';
import { RemoteVerifier } from '../src/provider/remote-verifier';
import { PROVIDER_TOKEN, localSigner, randomKey, startBench, type Bench } from './helpers/harness';

const PRICE = 1_000n;

/** The payment server's count of answered requests on a route (its Prometheus metrics). */
async function answered(bench: Bench, route: string): Promise<number> {
  const res = await fetch(`${bench.server.url}/metrics`, { headers: { authorization: `Bearer ${PROVIDER_TOKEN}` } });
  const text = await res.text();
  let n = 0;
  for (const m of text.matchAll(/^chanpay_http_requests_total\{route="([^"]+)",status="\d+"\} (\d+)$/gm))
    if (m[1] === route) n += Number(m[2]);
  return n;
}

describe('RemoteVerifier coalesces concurrent verifications', () => {
  let bench: Bench;
  let verifier: RemoteVerifier;
  let signer: ReturnType<typeof localSigner>;
  const open = async (): Promise<ChannelInfo> =>
    bench.consumer.openChannel({ provider: bench.addresses.provider, deposit: finney(1), signer: signer.address, challengePeriod: 60 });
  const paid = (header: string) => {
    const d = decodeVoucher(header);
    if (!d.ok) throw new Error(d.message);
    return verifier.accept(d.voucher as Voucher, header, PRICE);
  };
  const requests = async () => ({
    single: await answered(bench, '/vouchers/verify'),
    batch: await answered(bench, '/vouchers/verify-batch'),
  });

  beforeAll(async () => {
    bench = await startBench();
    signer = localSigner(bench);
    verifier = new RemoteVerifier(bench.provider);
  });
  afterAll(async () => {
    await verifier?.stop();
    await bench?.stop();
  });

  test('a lone call goes at once on the single route', async () => {
    const channel = await open();
    const before = await requests();
    await expect(paid(signer.header(channel.id, PRICE))).resolves.toEqual({ channelId: channel.id, amount: PRICE, price: PRICE });
    expect(await requests()).toEqual({ single: before.single + 1, batch: before.batch });
  });

  test('50 concurrent calls on two channels take fewer requests than calls, and each is paid exactly once', async () => {
    const channels = [await open(), await open()];
    const before = await requests();
    // Out of order: many vouchers overtake lower ones of their channel.
    const calls = Array.from({ length: 50 }, (_, i) => ({ id: channels[i % 2]!.id, amount: BigInt(((i * 7) % 25) + 1) * PRICE }));
    const results = await Promise.all(calls.map((c) => paid(signer.header(c.id, c.amount))));
    expect(results).toEqual(calls.map((c) => ({ channelId: c.id, amount: c.amount, price: PRICE })));
    const after = await requests();
    const sent = after.single - before.single + (after.batch - before.batch);
    expect(after.batch - before.batch).toBeGreaterThan(0);
    // All 50 were made in one turn of the event loop: one batch request.
    expect(sent).toBe(1);
    for (const c of channels) {
      const info = await bench.provider.channel(c.id);
      expect({ calls: info.calls, amount: info.latestVoucher?.amount }).toEqual({ calls: 25, amount: (25n * PRICE).toString() });
    }
    // Sent again, every one of them is refused: no call is paid twice.
    const again = await Promise.allSettled(calls.map((c) => paid(signer.header(c.id, c.amount))));
    expect(again.map((r) => (r.status === 'rejected' && r.reason instanceof ChanpayError ? r.reason.code : r.status))).toEqual(
      calls.map(() => 'AMOUNT_TOO_LOW'),
    );
  });

  test('closed loop: calls made as earlier ones are answered are sent too, none is left waiting', async () => {
    const channel = await open();
    let amount = 0n;
    const before = await requests();
    // 10 callers, each making its next call as soon as its last was answered (as a loaded service does).
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 20; i++) await paid(signer.header(channel.id, (amount += PRICE)));
      }),
    );
    const after = await requests();
    expect((await bench.provider.channel(channel.id)).calls).toBe(200);
    expect(after.single - before.single + (after.batch - before.batch)).toBeLessThan(200);
  }, 60_000);

  test('a refused voucher among concurrent calls fails its own call only, with the code the single route gives', async () => {
    const channel = await open();
    const forged = localSigner(bench, randomKey()).header(channel.id, 3n * PRICE);
    const headers = [1n, 2n, 0n, 4n, 4n, 5n].map((k) => (k === 0n ? forged : signer.header(channel.id, k * PRICE)));
    const settled = await Promise.allSettled(headers.map(paid));
    const outcome = settled.map((r) => (r.status === 'fulfilled' ? 'paid' : (r.reason as ChanpayError).code));
    expect(outcome).toEqual(['paid', 'paid', 'SIGNER_MISMATCH', 'paid', 'AMOUNT_TOO_LOW', 'paid']);
    const refused = (settled[2] as PromiseRejectedResult).reason as ChanpayError;
    expect(refused).toBeInstanceOf(ChanpayError);
    expect(refused.details).toMatchObject({ httpStatus: 401 });
    expect((await bench.provider.channel(channel.id)).calls).toBe(4);
  });

  test('when the payment server cannot be reached, every waiting call fails with PAYMENT_SERVER_UNAVAILABLE', async () => {
    const channel = await open();
    const gone = new RemoteVerifier(new PaymentServerClient({ url: 'http://127.0.0.1:1', token: PROVIDER_TOKEN, retries: 0 }));
    const settled = await Promise.allSettled(
      [1n, 2n, 3n].map((k) => gone.accept({} as Voucher, signer.header(channel.id, k * PRICE), PRICE)),
    );
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as ChanpayError).code : 'paid'))).toEqual([
      'PAYMENT_SERVER_UNAVAILABLE',
      'PAYMENT_SERVER_UNAVAILABLE',
      'PAYMENT_SERVER_UNAVAILABLE',
    ]);
    await gone.stop();
    expect((await bench.provider.channel(channel.id)).calls).toBe(0);
  });
});
