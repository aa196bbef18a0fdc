import { encodeVoucher } from '@chanpay/protocol';
import { GWEI, TOKENS, startOneServer, type OneServer } from './lib/setup';

/**
 * Bugs in the payment server that the example-network fault scenarios found (docs/reliability.md, bugs 4 and 5).
 * Each test failed until the fix (commit 0f04aea) and now guards against the bug coming back, like
 * regressions.test.ts; the network scenarios (network-local-faults.test.ts) check the same end to end.
 */
describe('regressions found by the network fault scenarios (fixed): the payment server', () => {
  let env: OneServer;

  beforeAll(async () => {
    env = await startOneServer();
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  const voucher = (id: string, amount: bigint) => encodeVoucher(env.signer.sign(id, amount));

  /**
   * Bug 4. `POST /vouchers` (a local-mode service storing vouchers it has already accepted and served) was refused
   * with CHANNEL_CLOSING once the consumer had started closing the channel, although the contract lets the provider
   * claim until the challenge period ends. A service whose batch is still pending when the close starts (its flush
   * interval, or a payment-server outage) loses every call in it: on the example network, 116 served calls in one
   * run (network-local-faults.test.ts, batched). Fix: `VoucherVerification.recordMany` (vouchers of calls already served)
   * lets `checkVoucher` accept a `closing` channel; `verify` (a new call) still refuses it, and the claimer claims
   * closing channels whose accepted amount is above what was claimed.
   */
  test('bug 4: vouchers served before the close are still recorded (and claimable) while the channel is closing', async () => {
    const id = await env.open(100n * GWEI);
    const first = await env.api.call('POST', '/vouchers', TOKENS.provider, { vouchers: [voucher(id, 3n * GWEI)] });
    expect(first.body.results[0].accepted).toBe(true);
    expect((await env.api.call('POST', `/channels/${id}/close`, TOKENS.consumer, {})).body.state).toBe('closing');
    // Calls served just before the close, whose batch arrives just after it.
    const late = await env.api.call('POST', '/vouchers', TOKENS.provider, { vouchers: [{ voucher: voucher(id, 7n * GWEI), calls: 4 }] });
    expect(late.body.results[0]).toMatchObject({ accepted: true });
    const held = (await env.api.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel.latestVoucher.amount;
    expect(held).toBe((7n * GWEI).toString());
  });

  /**
   * Bug 5. Two claims of the same channel at once (the payment server's own claim policy and a service's
   * `GET /redeem` → `POST /claims`, or two `POST /claims`): `ClaimsAndCloses.claim` re-read the channel and decided
   * that it was due before it took the channel's lock, so the second sent a claim for the amount the first had
   * just claimed; it reverted and the request answered 409 NOTHING_TO_CLAIM (a batch of several channels falls back
   * to one by one and hid it). On the example network `GET /redeem` failed this way in 2 of 3 runs with the claim
   * interval at 1 s. Fix: `claim` re-reads the channels and decides what is due inside `withChannelLocks`.
   */
  test('bug 5: concurrent claims of the same channel all succeed (the later ones find nothing left to do)', async () => {
    const answers: { status: number; code?: string }[] = [];
    for (let round = 1; round <= 3; round++) {
      const id = await env.open(100n * GWEI);
      expect(
        (
          await env.api.call('POST', '/vouchers/verify', TOKENS.provider, {
            voucher: voucher(id, 5n * GWEI),
            price: (5n * GWEI).toString(),
          })
        ).status,
      ).toBe(200);
      const all = await Promise.all(Array.from({ length: 8 }, () => env.api.call('POST', '/claims', TOKENS.provider, {})));
      answers.push(...all.map((a) => ({ status: a.status, code: a.body?.error?.code })));
      expect((await env.api.call('GET', `/channels/${id}`, TOKENS.provider)).body.channel.claimed).toBe((5n * GWEI).toString());
    }
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  });
});
