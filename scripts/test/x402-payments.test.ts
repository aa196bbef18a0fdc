/**
 * x402's `exact` scheme through its own SDK on a real local chain, with a real facilitator and paid service on
 * 127.0.0.1, in each settlement order: paid calls move exactly calls × price on chain; an unpaid call gets x402's
 * 402; a replayed, underpaying or misdirected authorization is refused and never served.
 */
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import type { PaymentRequirements } from '@x402/core/types';
import { getAddress } from 'viem';
import { createX402HttpClient } from '../bench/peers/x402/client';
import { startX402Network, type X402Network, type X402NetworkOptions } from '../bench/peers/x402/network';
import { TOKEN_NAME, TOKEN_VERSION } from '../bench/peers/x402/token';
import type { SettlementOrder } from '../bench/peers/x402/paid-service';

const PRICE = 1234n;

/** A PAYMENT-SIGNATURE header made with the SDK for the service's offer, or signed for `signedFor(offer)` instead. */
async function paymentHeader(
  net: X402Network,
  signedFor?: (offer: PaymentRequirements) => PaymentRequirements,
): Promise<Record<string, string>> {
  const res = await fetch(net.entryUrl);
  const client = createX402HttpClient(net.payer);
  const required = client.getPaymentRequiredResponse((name) => res.headers.get(name), await res.json());
  const offer = required.accepts[0]!;
  const payload = await client.createPaymentPayload(signedFor ? { ...required, accepts: [signedFor(offer)] } : required);
  // Presented as payment for the real offer, whatever it was signed for.
  return client.encodePaymentSignatureHeader({ ...payload, accepted: offer });
}

async function callWith(net: X402Network, headers: Record<string, string>): Promise<{ status: number; served: boolean }> {
  const res = await fetch(net.entryUrl, { headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let served = false;
  try {
    served = typeof (JSON.parse(text) as { number?: unknown }).number === 'number';
  } catch {
    /* not JSON: not served */
  }
  return { status: res.status, served };
}

async function balancesMovedBy(net: X402Network, before: { client: bigint; provider: bigint }, calls: bigint): Promise<void> {
  await net.drainSettlements(30_000);
  const after = await net.readBalances();
  expect(after.provider - before.provider).toBe(calls * PRICE);
  expect(before.client - after.client).toBe(calls * PRICE);
}

const cases: { order: SettlementOrder; options: X402NetworkOptions; label: string }[] = [
  { order: 'settle-before', options: { chain: 'anvil', processes: 'in-process' }, label: 'anvil, in process' },
  { order: 'upfront', options: { chain: 'anvil', processes: 'in-process' }, label: 'anvil, in process' },
  { order: 'settle-after', options: { chain: 'anvil', processes: 'children' }, label: 'anvil, child processes' },
  { order: 'settle-before', options: { chain: 'ganache', processes: 'in-process' }, label: 'ganache, in process' },
];

describe.each(cases)('x402 exact, $order ($label)', ({ order, options }) => {
  let net: X402Network;

  beforeAll(async () => {
    net = await startX402Network({ ...options, order, price: PRICE });
  }, 120_000);

  afterAll(async () => {
    await net?.stop();
  }, 60_000);

  it("answers an unpaid call with 402 and x402's payment requirements", async () => {
    const res = await fetch(net.entryUrl);
    expect(res.status).toBe(402);
    const header = res.headers.get('payment-required');
    expect(header).toBeTruthy();
    const required = decodePaymentRequiredHeader(header!);
    expect(required.x402Version).toBe(2);
    expect(required.accepts).toHaveLength(1);
    const offer = required.accepts[0]!;
    expect(offer).toMatchObject({ scheme: 'exact', network: `eip155:${net.chainId}`, amount: PRICE.toString() });
    expect(getAddress(offer.asset)).toBe(net.addresses.token);
    expect(getAddress(offer.payTo)).toBe(net.addresses.provider);
    expect(offer.extra).toMatchObject({
      name: TOKEN_NAME,
      version: TOKEN_VERSION,
      ...(order === 'upfront' ? { paymentFlow: 'upfront' } : {}),
    });
  });

  it('moves exactly calls × price from the payer to payTo for calls paid through @x402/fetch', async () => {
    const before = await net.readBalances();
    const calls = 4;
    for (let i = 0; i < calls; i++) {
      const res = await net.fetchWithPayment(net.entryUrl, { signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      expect(typeof ((await res.json()) as { number: unknown }).number).toBe('number');
      const receipt = res.headers.get('payment-response');
      if (order === 'settle-after') {
        expect(receipt).toBeNull(); // the answer left before its settlement
      } else {
        const settled = decodePaymentResponseHeader(receipt!);
        expect(settled.success).toBe(true);
        expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
      }
    }
    await balancesMovedBy(net, before, BigInt(calls));
    expect((await net.settlements()).failed).toBe(0);
  });

  it('refuses a replayed authorization and serves it once', async () => {
    const before = await net.readBalances();
    const header = await paymentHeader(net);
    const first = await callWith(net, header);
    expect(first).toEqual({ status: 200, served: true });
    await net.drainSettlements(30_000);
    const replay = await callWith(net, header);
    expect(replay).toEqual({ status: 402, served: false });
    await balancesMovedBy(net, before, 1n);
  });

  it('serves one of several concurrent calls with the same authorization, and is paid once', async () => {
    const before = await net.readBalances();
    const header = await paymentHeader(net);
    const results = await Promise.all(Array.from({ length: 3 }, () => callWith(net, header)));
    const served = results.filter((r) => r.served);
    expect(served).toHaveLength(1);
    expect(served[0]!.status).toBe(200);
    for (const r of results.filter((x) => !x.served)) expect(r.status).toBe(402);
    await balancesMovedBy(net, before, 1n);
  });

  it('refuses an authorization signed for less than the price', async () => {
    const before = await net.readBalances();
    const header = await paymentHeader(net, (offer) => ({ ...offer, amount: (PRICE - 1n).toString() }));
    expect(await callWith(net, header)).toEqual({ status: 402, served: false });
    await balancesMovedBy(net, before, 0n);
  });

  it('refuses an authorization that pays someone other than payTo', async () => {
    const before = await net.readBalances();
    const header = await paymentHeader(net, (offer) => ({ ...offer, payTo: net.addresses.deployer }));
    expect(await callWith(net, header)).toEqual({ status: 402, served: false });
    await balancesMovedBy(net, before, 0n);
  });

  it('treats a malformed PAYMENT-SIGNATURE as no payment', async () => {
    // The SDK warns about the header it could not decode (in this process when the service runs here).
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(await callWith(net, { 'payment-signature': 'not base64 json' })).toEqual({ status: 402, served: false });
    } finally {
      warn.mockRestore();
    }
  });
});
