import { termsTuple, ZERO_ADDRESS, type Address, type ChannelTerms } from '@chanpay/protocol';
import { channelIdOf } from '@chanpay/protocol/node';
import { NODES, claimEntry, eventsOf, feeOf, increaseTime, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

describe.each(NODES)('PaymentChannels claimBatch on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  async function openMany(count: number, overrides: Partial<ChannelTerms> = {}, deposit = 1_000n) {
    const out: { terms: ChannelTerms; id: string }[] = [];
    for (let i = 0; i < count; i++) {
      const terms = f.terms(overrides);
      out.push({ terms, id: (await f.open(terms, deposit)).id });
    }
    return out;
  }

  it('claims several ETH channels in one transaction and pays their sum once', async () => {
    const chans = await openMany(3);
    const amounts = [100n, 250n, 1_000n];
    const before = await f.balance(f.provider.address);
    const receipt = await f.tx(f.provider, 'claimBatch', [
      chans.map((c, i) => claimEntry(c.terms, amounts[i]!, f.voucher(c.id, amounts[i]!))),
    ]);
    expect(eventsOf(receipt, f.channels)).toEqual(
      chans.map((c, i) => ({ name: 'ChannelClaimed', args: { channelId: c.id, amount: amounts[i], claimed: amounts[i] } })),
    );
    expect((await f.balance(f.provider.address)) - before + feeOf(receipt)).toBe(1_350n);
    for (const [i, c] of chans.entries()) expect((await f.state(c.id)).claimed).toBe(amounts[i]);
  });

  it('sums mixed tokens per run of equal tokens: ETH, then two ERC-20 channels in one transfer, then ETH', async () => {
    const [eth1, eth2] = await openMany(2);
    const [tok1, tok2] = await openMany(2, { token: f.tokenAddress });
    const order = [eth1!, tok1!, tok2!, eth2!];
    const amounts = [10n, 20n, 30n, 40n];
    const ethBefore = await f.balance(f.provider.address);
    const tokBefore = await f.balance(f.provider.address, f.token);
    const receipt = await f.tx(f.provider, 'claimBatch', [
      order.map((c, i) => claimEntry(c.terms, amounts[i]!, f.voucher(c.id, amounts[i]!))),
    ]);
    expect((await f.balance(f.provider.address)) - ethBefore + feeOf(receipt)).toBe(50n);
    expect((await f.balance(f.provider.address, f.token)) - tokBefore).toBe(50n);
    const transfers = eventsOf(receipt, f.token);
    expect(transfers).toEqual([{ name: 'Transfer', args: { from: f.channelsAddress, to: f.provider.address.toLowerCase(), value: 50n } }]);
    expect(eventsOf(receipt, f.channels).map((e) => e.args.channelId)).toEqual(order.map((c) => c.id));
  });

  it('claims the same channel twice in one batch when the second voucher is higher', async () => {
    const [c] = await openMany(1);
    const receipt = await f.tx(f.provider, 'claimBatch', [
      [claimEntry(c!.terms, 100n, f.voucher(c!.id, 100n)), claimEntry(c!.terms, 250n, f.voucher(c!.id, 250n))],
    ]);
    expect(eventsOf(receipt, f.channels).map((e) => e.args)).toEqual([
      { channelId: c!.id, amount: 100n, claimed: 100n },
      { channelId: c!.id, amount: 150n, claimed: 250n },
    ]);
  });

  it('reverts EmptyBatch for no entries', async () => {
    expect(await f.revert(f.tx(f.provider, 'claimBatch', [[]]))).toEqual({ name: 'EmptyBatch', args: [] });
  });

  it('reverts NotProvider when any entry belongs to another provider, and claims nothing', async () => {
    const [mine] = await openMany(1);
    const theirsTerms = f.terms({ provider: f.stranger.address.toLowerCase() as Address });
    const { id: theirsId } = await f.open(theirsTerms, 1_000n);
    const batch = [claimEntry(mine!.terms, 10n, f.voucher(mine!.id, 10n)), claimEntry(theirsTerms, 10n, f.voucher(theirsId, 10n))];
    expect(await f.revert(f.tx(f.provider, 'claimBatch', [batch]))).toEqual({
      name: 'NotProvider',
      args: [f.provider.address.toLowerCase()],
    });
    const mined = await f.tx(f.provider, 'claimBatch', [batch], { allowRevert: true, gasLimit: 500_000n });
    expect(mined.status).toBe(0);
    expect((await f.state(mine!.id)).claimed).toBe(0n);
  });

  it('reverts the whole batch when one entry fails (bad signature, nothing to claim, settled)', async () => {
    const [a, b] = await openMany(2);
    const good = claimEntry(a!.terms, 10n, f.voucher(a!.id, 10n));
    expect(await f.revert(f.tx(f.provider, 'claimBatch', [[good, claimEntry(b!.terms, 10n, f.voucher(b!.id, 10n, f.consumer))]]))).toEqual({
      name: 'InvalidVoucherSignature',
      args: [b!.id],
    });
    expect(await f.revert(f.tx(f.provider, 'claimBatch', [[good, claimEntry(b!.terms, 0n, f.voucher(b!.id, 0n))]]))).toEqual({
      name: 'NothingToClaim',
      args: [b!.id, 0n, 0n],
    });
    await f.tx(f.provider, 'closeByProvider', [termsTuple(b!.terms), 0n, '0x']);
    expect(await f.revert(f.tx(f.provider, 'claimBatch', [[good, claimEntry(b!.terms, 10n, f.voucher(b!.id, 10n))]]))).toEqual({
      name: 'ChannelIsSettled',
      args: [b!.id],
    });
    const unknown = f.terms();
    expect(
      await f.revert(f.tx(f.provider, 'claimBatch', [[good, claimEntry(unknown, 10n, f.voucher(channelIdOf(unknown), 10n))]])),
    ).toEqual({ name: 'UnknownChannel', args: [channelIdOf(unknown)] });
    expect((await f.state(a!.id)).claimed).toBe(0n);
  });

  it("reverts ChallengePeriodOver when an entry's challenge period has ended", async () => {
    const [a] = await openMany(1);
    const [late] = await openMany(1, { challengePeriod: 30 });
    const started = await f.tx(f.consumer, 'startClose', [termsTuple(late!.terms)]);
    await increaseTime(f.rpc, 31);
    expect(
      await f.revert(
        f.tx(f.provider, 'claimBatch', [
          [claimEntry(a!.terms, 10n, f.voucher(a!.id, 10n)), claimEntry(late!.terms, 10n, f.voucher(late!.id, 10n))],
        ]),
      ),
    ).toEqual({ name: 'ChallengePeriodOver', args: [late!.id, eventsOf(started, f.channels)[0]!.args.closesAt] });
  });

  it('reverts ReentrancyGuardReentrantCall when a token re-enters while a run is paid', async () => {
    const [hostile] = await openMany(1, { token: f.hostileTokenAddress });
    const [eth] = await openMany(1);
    const reenter = f.channels.interface.encodeFunctionData('claimBatch', [[claimEntry(eth!.terms, 5n, f.voucher(eth!.id, 5n))]]);
    await send(f.consumer, f.hostileToken, 'arm', [f.channelsAddress, reenter]);
    expect(
      await f.revert(
        f.tx(f.provider, 'claimBatch', [
          [claimEntry(hostile!.terms, 10n, f.voucher(hostile!.id, 10n)), claimEntry(eth!.terms, 10n, f.voucher(eth!.id, 10n))],
        ]),
      ),
    ).toEqual({ name: 'ReentrancyGuardReentrantCall', args: [] });
    await send(f.consumer, f.hostileToken, 'arm', [ZERO_ADDRESS, '0x']);
  });
});
