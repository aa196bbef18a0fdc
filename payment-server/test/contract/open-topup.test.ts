import { termsTuple, ZERO_ADDRESS, type Address } from '@chanpay/protocol';
import { channelIdOf } from '@chanpay/protocol/node';
import { NODES, eventsOf, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

const UINT96_OVERFLOW = 1n << 96n;

describe.each(NODES)('PaymentChannels open and topUp on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  describe('open', () => {
    it('opens an ETH channel: returns its id, stores the deposit, holds the ETH and emits ChannelOpened', async () => {
      const terms = f.terms({ challengePeriod: 7200 });
      const args = [termsTuple(terms), 5_000n] as const;
      const returned = (await f.channels
        .connect(f.consumer)
        .getFunction('open')
        .staticCall(...args, { value: 5_000n })) as string;
      const before = await f.balance(f.channelsAddress);
      const { id, receipt } = await f.open(terms, 5_000n);
      expect(returned).toBe(id);
      expect(await f.state(id)).toEqual({ deposit: 5_000n, claimed: 0n, closesAt: 0n });
      expect((await f.balance(f.channelsAddress)) - before).toBe(5_000n);
      expect(eventsOf(receipt, f.channels)).toEqual([
        {
          name: 'ChannelOpened',
          args: {
            channelId: id,
            consumer: terms.consumer,
            provider: terms.provider,
            signer: terms.signer,
            token: ZERO_ADDRESS,
            challengePeriod: 7200n,
            salt: terms.salt,
            deposit: 5_000n,
          },
        },
      ]);
    });

    it('opens an ERC-20 channel: pulls the approved tokens from the consumer', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      const contractBefore = await f.balance(f.channelsAddress, f.token);
      const ethBefore = await f.balance(f.channelsAddress);
      const { id, receipt } = await f.open(terms, 7_000n);
      expect(await f.state(id)).toEqual({ deposit: 7_000n, claimed: 0n, closesAt: 0n });
      expect((await f.balance(f.channelsAddress, f.token)) - contractBefore).toBe(7_000n);
      expect(await f.balance(f.channelsAddress)).toBe(ethBefore);
      expect(await f.token.getFunction('allowance')(f.consumer.address, f.channelsAddress)).toBe(0n);
      const opened = eventsOf(receipt, f.channels);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.args).toMatchObject({ channelId: id, token: f.tokenAddress, deposit: 7_000n });
    });

    it('a channel whose signer is the consumer itself works too', async () => {
      const terms = f.terms({ signer: f.consumer.address.toLowerCase() as Address });
      const { id } = await f.open(terms, 100n);
      await f.tx(f.provider, 'claim', [termsTuple(terms), 40n, f.voucher(id, 40n, f.consumer)]);
      expect((await f.state(id)).claimed).toBe(40n);
    });

    it('reverts NotConsumer when someone else opens the consumer terms', async () => {
      const terms = f.terms();
      expect(await f.revert(f.tx(f.stranger, 'open', [termsTuple(terms), 1n], { value: 1n }))).toEqual({
        name: 'NotConsumer',
        args: [f.stranger.address.toLowerCase()],
      });
    });

    it.each([
      ['a zero provider', { provider: ZERO_ADDRESS }],
      ['a zero signer', { signer: ZERO_ADDRESS }],
      ['a zero challenge period', { challengePeriod: 0 }],
    ])('reverts InvalidTerms for %s', async (_label, overrides) => {
      const terms = f.terms(overrides);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 1n], { value: 1n }))).toEqual({
        name: 'InvalidTerms',
        args: [],
      });
    });

    it('reverts ZeroAmount for a zero deposit', async () => {
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(f.terms()), 0n]))).toEqual({ name: 'ZeroAmount', args: [] });
    });

    it('reverts ChannelExists when the same terms are opened twice', async () => {
      const terms = f.terms();
      const { id } = await f.open(terms, 10n);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n], { value: 10n }))).toEqual({
        name: 'ChannelExists',
        args: [id],
      });
    });

    it('reverts WrongValue when the ETH sent differs from the amount', async () => {
      const terms = f.terms();
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n], { value: 9n }))).toEqual({
        name: 'WrongValue',
        args: [10n, 9n],
      });
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n]))).toEqual({ name: 'WrongValue', args: [10n, 0n] });
    });

    it('reverts WrongValue(0, value) when ETH is sent to open a token channel', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      await send(f.consumer, f.token, 'mint', [f.consumer.address, 10n]);
      await send(f.consumer, f.token, 'approve', [f.channelsAddress, 10n]);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n], { value: 10n }))).toEqual({
        name: 'WrongValue',
        args: [0n, 10n],
      });
    });

    it('reverts with the token error when the consumer did not approve or lacks the tokens', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      await send(f.consumer, f.token, 'approve', [f.channelsAddress, 0n]);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n]))).toEqual({
        name: 'ERC20InsufficientAllowance',
        args: [f.channelsAddress, 0n, 10n],
      });
      const balance = await f.balance(f.consumer.address, f.token);
      await send(f.consumer, f.token, 'approve', [f.channelsAddress, balance + 1n]);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), balance + 1n]))).toEqual({
        name: 'ERC20InsufficientBalance',
        args: [f.consumer.address.toLowerCase(), balance, balance + 1n],
      });
      expect(await f.state(channelIdOf(terms))).toEqual({ deposit: 0n, claimed: 0n, closesAt: 0n });
    });

    it('reverts SafeCastOverflowedUintDowncast for a deposit beyond uint96', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), UINT96_OVERFLOW]))).toEqual({
        name: 'SafeCastOverflowedUintDowncast',
        args: [96n, UINT96_OVERFLOW],
      });
    });

    it('reverts ReentrancyGuardReentrantCall when the token re-enters during the deposit', async () => {
      const terms = f.terms({ token: f.hostileTokenAddress });
      await send(f.consumer, f.hostileToken, 'mint', [f.consumer.address, 10n]);
      await send(f.consumer, f.hostileToken, 'approve', [f.channelsAddress, 10n]);
      const reenter = f.channels.interface.encodeFunctionData('topUp', [termsTuple(terms), 1n]);
      await send(f.consumer, f.hostileToken, 'arm', [f.channelsAddress, reenter]);
      expect(await f.revert(f.tx(f.consumer, 'open', [termsTuple(terms), 10n]))).toEqual({
        name: 'ReentrancyGuardReentrantCall',
        args: [],
      });
      await send(f.consumer, f.hostileToken, 'arm', [ZERO_ADDRESS, '0x']);
    });
  });

  describe('topUp', () => {
    it('adds ETH to an open channel and emits ChannelToppedUp with the new deposit', async () => {
      const terms = f.terms();
      const { id } = await f.open(terms, 1_000n);
      const receipt = await f.tx(f.consumer, 'topUp', [termsTuple(terms), 500n], { value: 500n });
      expect(eventsOf(receipt, f.channels)).toEqual([
        { name: 'ChannelToppedUp', args: { channelId: id, payer: terms.consumer, amount: 500n, deposit: 1_500n } },
      ]);
      expect(await f.state(id)).toEqual({ deposit: 1_500n, claimed: 0n, closesAt: 0n });
    });

    it('lets anyone pay a top-up', async () => {
      const terms = f.terms();
      const { id } = await f.open(terms, 1_000n);
      const receipt = await f.tx(f.stranger, 'topUp', [termsTuple(terms), 1n], { value: 1n });
      expect(eventsOf(receipt, f.channels)[0]!.args).toEqual({
        channelId: id,
        payer: f.stranger.address.toLowerCase(),
        amount: 1n,
        deposit: 1_001n,
      });
    });

    it('adds tokens to an ERC-20 channel', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      const { id } = await f.open(terms, 1_000n);
      await send(f.consumer, f.token, 'mint', [f.consumer.address, 250n]);
      await send(f.consumer, f.token, 'approve', [f.channelsAddress, 250n]);
      const before = await f.balance(f.channelsAddress, f.token);
      await f.tx(f.consumer, 'topUp', [termsTuple(terms), 250n]);
      expect((await f.balance(f.channelsAddress, f.token)) - before).toBe(250n);
      expect((await f.state(id)).deposit).toBe(1_250n);
    });

    it('reverts ZeroAmount, UnknownChannel and WrongValue', async () => {
      const terms = f.terms();
      const id = channelIdOf(terms);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(terms), 0n]))).toEqual({ name: 'ZeroAmount', args: [] });
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(terms), 1n], { value: 1n }))).toEqual({
        name: 'UnknownChannel',
        args: [id],
      });
      await f.open(terms, 1n);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(terms), 2n], { value: 1n }))).toEqual({
        name: 'WrongValue',
        args: [2n, 1n],
      });
      const tokenTerms = f.terms({ token: f.tokenAddress });
      await f.open(tokenTerms, 1n);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(tokenTerms), 1n], { value: 1n }))).toEqual({
        name: 'WrongValue',
        args: [0n, 1n],
      });
    });

    it('reverts ChannelIsClosing once a close started and ChannelIsSettled once settled', async () => {
      const closing = f.terms();
      const { id: closingId } = await f.open(closing, 10n);
      await f.tx(f.consumer, 'startClose', [termsTuple(closing)]);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(closing), 1n], { value: 1n }))).toEqual({
        name: 'ChannelIsClosing',
        args: [closingId],
      });
      const settled = f.terms();
      const { id: settledId } = await f.open(settled, 10n);
      await f.tx(f.provider, 'closeByProvider', [termsTuple(settled), 0n, '0x']);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(settled), 1n], { value: 1n }))).toEqual({
        name: 'ChannelIsSettled',
        args: [settledId],
      });
    });

    it('reverts SafeCastOverflowedUintDowncast when the deposit would pass uint96', async () => {
      const terms = f.terms({ token: f.tokenAddress });
      await f.open(terms, 5n);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(terms), UINT96_OVERFLOW - 5n]))).toEqual({
        name: 'SafeCastOverflowedUintDowncast',
        args: [96n, UINT96_OVERFLOW],
      });
    });

    it('reverts ReentrancyGuardReentrantCall when the token re-enters during the top-up', async () => {
      const terms = f.terms({ token: f.hostileTokenAddress });
      await f.open(terms, 10n);
      await send(f.consumer, f.hostileToken, 'mint', [f.consumer.address, 10n]);
      await send(f.consumer, f.hostileToken, 'approve', [f.channelsAddress, 10n]);
      const reenter = f.channels.interface.encodeFunctionData('withdrawOwed', [f.hostileTokenAddress]);
      await send(f.consumer, f.hostileToken, 'arm', [f.channelsAddress, reenter]);
      expect(await f.revert(f.tx(f.consumer, 'topUp', [termsTuple(terms), 10n]))).toEqual({
        name: 'ReentrancyGuardReentrantCall',
        args: [],
      });
      await send(f.consumer, f.hostileToken, 'arm', [ZERO_ADDRESS, '0x']);
    });
  });
});
