import { termsTuple, ZERO_ADDRESS } from '@chanpay/protocol';
import { channelIdOf } from '@chanpay/protocol/node';
import { NODES, eventsOf, feeOf, increaseTime, latestTimestamp, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

const FINALIZED = (1n << 64n) - 1n;

describe.each(NODES)('PaymentChannels close on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  describe('startClose', () => {
    it('sets closesAt to the block time plus the challenge period and emits ChannelCloseStarted', async () => {
      const terms = f.terms({ challengePeriod: 900 });
      const { id } = await f.open(terms, 1_000n);
      const receipt = await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
      const block = await f.rpc.getBlock(receipt.blockNumber);
      const closesAt = BigInt(block!.timestamp) + 900n;
      expect(eventsOf(receipt, f.channels)).toEqual([{ name: 'ChannelCloseStarted', args: { channelId: id, closesAt } }]);
      expect(await f.state(id)).toEqual({ deposit: 1_000n, claimed: 0n, closesAt });
    });

    it('reverts NotConsumer, UnknownChannel, ChannelIsClosing and ChannelIsSettled', async () => {
      const terms = f.terms();
      const id = channelIdOf(terms);
      expect(await f.revert(f.tx(f.consumer, 'startClose', [termsTuple(terms)]))).toEqual({ name: 'UnknownChannel', args: [id] });
      await f.open(terms, 1_000n);
      for (const caller of [f.provider, f.stranger]) {
        expect(await f.revert(f.tx(caller, 'startClose', [termsTuple(terms)]))).toEqual({
          name: 'NotConsumer',
          args: [caller.address.toLowerCase()],
        });
      }
      await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
      expect(await f.revert(f.tx(f.consumer, 'startClose', [termsTuple(terms)]))).toEqual({ name: 'ChannelIsClosing', args: [id] });
      await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
      expect(await f.revert(f.tx(f.consumer, 'startClose', [termsTuple(terms)]))).toEqual({ name: 'ChannelIsSettled', args: [id] });
    });
  });

  describe('withdraw', () => {
    it('after the challenge period refunds the unclaimed rest to the consumer and pays the provider nothing more', async () => {
      const terms = f.terms({ challengePeriod: 60 });
      const { id } = await f.open(terms, 10_000n);
      await f.tx(f.provider, 'claim', [termsTuple(terms), 4_000n, f.voucher(id, 4_000n)]);
      await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
      await increaseTime(f.rpc, 61);
      const consumerBefore = await f.balance(f.consumer.address);
      const providerBefore = await f.balance(f.provider.address);
      const contractBefore = await f.balance(f.channelsAddress);
      const receipt = await f.tx(f.consumer, 'withdraw', [termsTuple(terms)]);
      expect(eventsOf(receipt, f.channels)).toEqual([
        { name: 'ChannelSettled', args: { channelId: id, providerTotal: 4_000n, consumerRefund: 6_000n } },
      ]);
      expect((await f.balance(f.consumer.address)) - consumerBefore + feeOf(receipt)).toBe(6_000n);
      expect(await f.balance(f.provider.address)).toBe(providerBefore);
      expect(contractBefore - (await f.balance(f.channelsAddress))).toBe(6_000n);
      expect(await f.state(id)).toEqual({ deposit: 10_000n, claimed: 4_000n, closesAt: FINALIZED });
    });

    it('refunds an ERC-20 channel in its token', async () => {
      const terms = f.terms({ token: f.tokenAddress, challengePeriod: 60 });
      const { id } = await f.open(terms, 1_000n);
      await f.tx(f.provider, 'claim', [termsTuple(terms), 100n, f.voucher(id, 100n)]);
      await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
      await increaseTime(f.rpc, 61);
      const before = await f.balance(f.consumer.address, f.token);
      const providerBefore = await f.balance(f.provider.address, f.token);
      await f.tx(f.consumer, 'withdraw', [termsTuple(terms)]);
      expect((await f.balance(f.consumer.address, f.token)) - before).toBe(900n);
      expect(await f.balance(f.provider.address, f.token)).toBe(providerBefore);
    });

    it('reverts NotConsumer, UnknownChannel, ChannelNotClosing, ChallengePeriodActive and ChannelIsSettled', async () => {
      const terms = f.terms({ challengePeriod: 60 });
      const id = channelIdOf(terms);
      expect(await f.revert(f.tx(f.consumer, 'withdraw', [termsTuple(terms)]))).toEqual({ name: 'UnknownChannel', args: [id] });
      await f.open(terms, 1_000n);
      expect(await f.revert(f.tx(f.provider, 'withdraw', [termsTuple(terms)]))).toEqual({
        name: 'NotConsumer',
        args: [f.provider.address.toLowerCase()],
      });
      expect(await f.revert(f.tx(f.consumer, 'withdraw', [termsTuple(terms)]))).toEqual({ name: 'ChannelNotClosing', args: [id] });
      const started = await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
      const { closesAt } = eventsOf(started, f.channels)[0]!.args;
      expect(await f.revert(f.tx(f.consumer, 'withdraw', [termsTuple(terms)]))).toEqual({
        name: 'ChallengePeriodActive',
        args: [id, closesAt],
      });
      await increaseTime(f.rpc, 61);
      expect(BigInt(await latestTimestamp(f.rpc))).toBeGreaterThanOrEqual(closesAt as bigint);
      await f.tx(f.consumer, 'withdraw', [termsTuple(terms)]);
      expect(await f.revert(f.tx(f.consumer, 'withdraw', [termsTuple(terms)]))).toEqual({ name: 'ChannelIsSettled', args: [id] });
    });
  });

  describe('closeByProvider', () => {
    it('with a voucher: claims it, refunds the rest and settles in one transaction', async () => {
      const terms = f.terms();
      const { id } = await f.open(terms, 10_000n);
      await f.tx(f.provider, 'claim', [termsTuple(terms), 1_000n, f.voucher(id, 1_000n)]);
      const consumerBefore = await f.balance(f.consumer.address);
      const providerBefore = await f.balance(f.provider.address);
      const receipt = await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 3_500n, f.voucher(id, 3_500n)]);
      expect(eventsOf(receipt, f.channels)).toEqual([
        { name: 'ChannelClaimed', args: { channelId: id, amount: 2_500n, claimed: 3_500n } },
        { name: 'ChannelSettled', args: { channelId: id, providerTotal: 3_500n, consumerRefund: 6_500n } },
      ]);
      expect((await f.balance(f.provider.address)) - providerBefore + feeOf(receipt)).toBe(2_500n);
      expect((await f.balance(f.consumer.address)) - consumerBefore).toBe(6_500n);
      expect(await f.state(id)).toEqual({ deposit: 10_000n, claimed: 3_500n, closesAt: FINALIZED });
    });

    it('without a voucher: refunds everything not claimed yet', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      const { id } = await f.open(terms, 1_000n);
      await f.tx(f.provider, 'claim', [termsTuple(terms), 300n, f.voucher(id, 300n)]);
      const consumerBefore = await f.balance(f.consumer.address, f.token);
      const providerBefore = await f.balance(f.provider.address, f.token);
      const receipt = await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
      expect(eventsOf(receipt, f.channels)).toEqual([
        { name: 'ChannelSettled', args: { channelId: id, providerTotal: 300n, consumerRefund: 700n } },
      ]);
      expect((await f.balance(f.consumer.address, f.token)) - consumerBefore).toBe(700n);
      expect(await f.balance(f.provider.address, f.token)).toBe(providerBefore);
    });

    it("works while the consumer's close is pending, and reverts ChallengePeriodOver after it", async () => {
      const pending = f.terms({ challengePeriod: 600 });
      const { id: pendingId } = await f.open(pending, 1_000n);
      await f.tx(f.consumer, 'startClose', [termsTuple(pending)]);
      await f.tx(f.provider, 'closeByProvider', [termsTuple(pending), 10n, f.voucher(pendingId, 10n)]);
      expect((await f.state(pendingId)).closesAt).toBe(FINALIZED);

      const late = f.terms({ challengePeriod: 60 });
      const { id } = await f.open(late, 1_000n);
      const started = await f.tx(f.consumer, 'startClose', [termsTuple(late)]);
      const { closesAt } = eventsOf(started, f.channels)[0]!.args;
      await increaseTime(f.rpc, 61);
      for (const [amount, signature] of [
        [0n, '0x'],
        [10n, f.voucher(id, 10n)],
      ] as const) {
        expect(await f.revert(f.tx(f.provider, 'closeByProvider', [termsTuple(late), amount, signature]))).toEqual({
          name: 'ChallengePeriodOver',
          args: [id, closesAt],
        });
      }
    });

    it('reverts NotProvider, UnknownChannel, ChannelIsSettled, InvalidVoucherSignature and NothingToClaim', async () => {
      const terms = f.terms();
      const id = channelIdOf(terms);
      for (const [amount, signature] of [
        [0n, '0x'],
        [10n, f.voucher(id, 10n)],
      ] as const) {
        expect(await f.revert(f.tx(f.provider, 'closeByProvider', [termsTuple(terms), amount, signature]))).toEqual({
          name: 'UnknownChannel',
          args: [id],
        });
      }
      await f.open(terms, 1_000n);
      expect(await f.revert(f.tx(f.consumer, 'closeByProvider', [termsTuple(terms), 0n, '0x']))).toEqual({
        name: 'NotProvider',
        args: [f.consumer.address.toLowerCase()],
      });
      expect(await f.revert(f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 10n, f.voucher(id, 10n, f.stranger)]))).toEqual({
        name: 'InvalidVoucherSignature',
        args: [id],
      });
      await f.tx(f.provider, 'claim', [termsTuple(terms), 50n, f.voucher(id, 50n)]);
      expect(await f.revert(f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 50n, f.voucher(id, 50n)]))).toEqual({
        name: 'NothingToClaim',
        args: [id, 50n, 50n],
      });
      await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
      for (const [amount, signature] of [
        [0n, '0x'],
        [60n, f.voucher(id, 60n)],
      ] as const) {
        expect(await f.revert(f.tx(f.provider, 'closeByProvider', [termsTuple(terms), amount, signature]))).toEqual({
          name: 'ChannelIsSettled',
          args: [id],
        });
      }
    });

    it('defers token payouts whose transfer fails instead of failing the settlement, for withdrawOwed', async () => {
      const terms = f.terms({ token: f.hostileTokenAddress });
      const { id } = await f.open(terms, 1_000n);
      // Every transfer re-enters (the failed transfer also rolls back the token's disarming), so both pushes fail.
      const reenter = f.channels.interface.encodeFunctionData('withdrawOwed', [f.hostileTokenAddress]);
      await send(f.consumer, f.hostileToken, 'arm', [f.channelsAddress, reenter]);
      const receipt = await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 400n, f.voucher(id, 400n)]);
      const token = f.hostileTokenAddress;
      expect(eventsOf(receipt, f.channels)).toEqual([
        { name: 'ChannelClaimed', args: { channelId: id, amount: 400n, claimed: 400n } },
        { name: 'ChannelSettled', args: { channelId: id, providerTotal: 400n, consumerRefund: 600n } },
        { name: 'PayoutDeferred', args: { token, account: f.provider.address.toLowerCase(), amount: 400n } },
        { name: 'PayoutDeferred', args: { token, account: f.consumer.address.toLowerCase(), amount: 600n } },
      ]);
      expect(await f.channels.getFunction('owed')(token, f.provider.address)).toBe(400n);
      expect(await f.channels.getFunction('owed')(token, f.consumer.address)).toBe(600n);
      expect(await f.state(id)).toEqual({ deposit: 1_000n, claimed: 400n, closesAt: FINALIZED });

      // Pulling re-enters too while the token is armed, and the guard stops it.
      expect(await f.revert(f.tx(f.provider, 'withdrawOwed', [token]))).toEqual({ name: 'ReentrancyGuardReentrantCall', args: [] });

      await send(f.consumer, f.hostileToken, 'arm', [ZERO_ADDRESS, '0x']);
      for (const [wallet, amount] of [
        [f.provider, 400n],
        [f.consumer, 600n],
      ] as const) {
        const before = await f.balance(wallet.address, f.hostileToken);
        const pulled = await f.tx(wallet, 'withdrawOwed', [token]);
        expect(eventsOf(pulled, f.channels)).toEqual([
          { name: 'OwedWithdrawn', args: { token, account: wallet.address.toLowerCase(), amount } },
        ]);
        expect((await f.balance(wallet.address, f.hostileToken)) - before).toBe(amount);
        expect(await f.channels.getFunction('owed')(token, wallet.address)).toBe(0n);
      }
    });
  });

  it('a settled channel is a tombstone: its terms can never be opened again', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 1_000n);
    await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
    expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 1_000n], { value: 1_000n }))).toEqual({
      name: 'ChannelExists',
      args: [id],
    });
  });
});
