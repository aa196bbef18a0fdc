import { termsTuple, type ChannelTerms } from '@chanpay/protocol';
import type { TransactionReceipt, Wallet } from 'ethers';
import { NODES, claimEntry, eventsOf, feeOf, increaseTime, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

const FINNEY = 10n ** 15n;

/**
 * Money is conserved to the wei: what the provider is paid plus what the consumer gets back equals what was
 * deposited, measured on real balances with every sender's gas cost added back.
 */
describe.each(NODES)('PaymentChannels conservation on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** Net ETH each wallet gained over a scenario, gas excluded. */
  function ledger(wallets: Wallet[]) {
    const fees = new Map<string, bigint>(wallets.map((w) => [w.address, 0n]));
    const start = new Map<string, bigint>();
    return {
      async begin() {
        for (const w of wallets) start.set(w.address, await f.balance(w.address));
      },
      async tx(wallet: Wallet, method: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
        const receipt = await f.tx(wallet, method, args, value === undefined ? {} : { value });
        fees.set(wallet.address, fees.get(wallet.address)! + feeOf(receipt));
        return receipt;
      },
      async net(wallet: Wallet): Promise<bigint> {
        return (await f.balance(wallet.address)) - start.get(wallet.address)! + fees.get(wallet.address)!;
      },
    };
  }

  it('ETH, closed by the consumer: top-ups by two payers, claim, batch claim, claim while closing, withdraw', async () => {
    const { consumer, provider, stranger } = f;
    const l = ledger([consumer, provider, stranger]);
    const contractStart = await f.balance(f.channelsAddress);
    await l.begin();
    const terms = f.terms({ challengePeriod: 120 });
    const t = termsTuple(terms);
    const deposits = [10n * FINNEY + 7n, 3n * FINNEY + 1n, 2n * FINNEY];
    await l.tx(consumer, 'open', [t, deposits[0]], deposits[0]);
    const channelId = (await f.channels.getFunction('channelId')(t)) as string;
    await l.tx(stranger, 'topUp', [t, deposits[1]], deposits[1]);
    await l.tx(consumer, 'topUp', [t, deposits[2]], deposits[2]);
    await l.tx(provider, 'claim', [t, 1_234_567n, f.voucher(channelId, 1_234_567n)]);
    await l.tx(provider, 'claimBatch', [[claimEntry(terms, 5n * FINNEY, f.voucher(channelId, 5n * FINNEY))]]);
    await l.tx(consumer, 'startClose', [t]);
    const last = 9n * FINNEY + 3n;
    await l.tx(provider, 'claim', [t, last, f.voucher(channelId, last)]);
    await increaseTime(f.rpc, 121);
    const settled = await l.tx(consumer, 'withdraw', [t]);

    const total = deposits[0]! + deposits[1]! + deposits[2]!;
    const payout = await l.net(provider);
    const refund = (await l.net(consumer)) + deposits[0]! + deposits[2]!;
    expect(payout).toBe(last);
    expect(payout + refund).toBe(total);
    expect(await l.net(stranger)).toBe(-deposits[1]!);
    expect(await f.balance(f.channelsAddress)).toBe(contractStart);
    expect(eventsOf(settled, f.channels)[0]!.args).toEqual({ channelId, providerTotal: payout, consumerRefund: refund });
  });

  it('ETH, closed by the provider with a voucher above the deposit: everything to the provider', async () => {
    const { consumer, provider } = f;
    const l = ledger([consumer, provider]);
    const contractStart = await f.balance(f.channelsAddress);
    await l.begin();
    const terms = f.terms();
    const t = termsTuple(terms);
    const deposit = 4n * FINNEY + 999n;
    await l.tx(consumer, 'open', [t, deposit], deposit);
    const id = (await f.channels.getFunction('channelId')(t)) as string;
    await l.tx(provider, 'claim', [t, FINNEY, f.voucher(id, FINNEY)]);
    await l.tx(provider, 'closeByProvider', [t, 5n * FINNEY, f.voucher(id, 5n * FINNEY)]);
    expect(await l.net(provider)).toBe(deposit);
    expect(await l.net(consumer)).toBe(-deposit);
    expect(await f.balance(f.channelsAddress)).toBe(contractStart);
  });

  it('ETH, several channels at once: settling one never touches the funds of another', async () => {
    const { consumer, provider } = f;
    const l = ledger([consumer, provider]);
    const contractStart = await f.balance(f.channelsAddress);
    await l.begin();
    const channels: { terms: ChannelTerms; id: string; deposit: bigint }[] = [];
    for (const deposit of [FINNEY, 2n * FINNEY, 3n * FINNEY]) {
      const terms = f.terms({ challengePeriod: 60 });
      await l.tx(consumer, 'open', [termsTuple(terms), deposit], deposit);
      channels.push({ terms, id: (await f.channels.getFunction('channelId')(termsTuple(terms))) as string, deposit });
    }
    const [a, b, c] = channels as [(typeof channels)[0], (typeof channels)[0], (typeof channels)[0]];
    const claims = [FINNEY / 2n, FINNEY / 3n, FINNEY / 4n];
    await l.tx(provider, 'claimBatch', [channels.map((ch, i) => claimEntry(ch.terms, claims[i]!, f.voucher(ch.id, claims[i]!)))]);
    await l.tx(consumer, 'startClose', [termsTuple(a.terms)]);
    await increaseTime(f.rpc, 61);
    await l.tx(consumer, 'withdraw', [termsTuple(a.terms)]);
    await l.tx(provider, 'closeByProvider', [termsTuple(b.terms), FINNEY, f.voucher(b.id, FINNEY)]);
    // c is still open: the contract holds exactly its unclaimed deposit.
    expect((await f.balance(f.channelsAddress)) - contractStart).toBe(c.deposit - claims[2]!);
    const paid = claims[0]! + FINNEY + claims[2]!;
    expect(await l.net(provider)).toBe(paid);
    expect(await l.net(consumer)).toBe(-(a.deposit + b.deposit + c.deposit) + (a.deposit - claims[0]!) + (b.deposit - FINNEY));
  });

  it('ERC-20, closed by the provider without a voucher: token balances add up exactly', async () => {
    const terms = f.terms({ token: f.tokenAddress });
    const t = termsTuple(terms);
    const deposit = 1_000_003n;
    const [consumer0, provider0, contract0] = await Promise.all(
      [f.consumer.address, f.provider.address, f.channelsAddress].map((a) => f.balance(a, f.token)),
    );
    // Everything the consumer deposits is minted to it here, so its balance change is exactly its refund.
    const { id } = await f.open(terms, deposit); // mints `deposit` and approves it
    await send(f.consumer, f.token, 'mint', [f.consumer.address, 500n]);
    await send(f.consumer, f.token, 'approve', [f.channelsAddress, 500n]);
    await f.tx(f.consumer, 'topUp', [t, 500n]);
    await f.tx(f.provider, 'claim', [t, 777_777n, f.voucher(id, 777_777n)]);
    await f.tx(f.provider, 'closeByProvider', [t, 0n, '0x']);
    const payout = (await f.balance(f.provider.address, f.token)) - provider0!;
    const refund = (await f.balance(f.consumer.address, f.token)) - consumer0!;
    expect(payout).toBe(777_777n);
    expect(payout + refund).toBe(deposit + 500n);
    expect(await f.balance(f.channelsAddress, f.token)).toBe(contract0);
  });
});
