import { termsTuple, ZERO_ADDRESS, type Address } from '@chanpay/protocol';
import { NODES, eventsOf, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

/** The consumer here is RejectingReceiver, a contract that refuses ETH until told to accept it. */
describe.each(NODES)('PaymentChannels deferred payouts and withdrawOwed on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const owed = (account: string) => f.channels.getFunction('owed')(ZERO_ADDRESS, account) as Promise<bigint>;

  it('defers a refund the consumer refuses, keeps it owed, and lets the consumer pull it later', async () => {
    const terms = f.terms({ consumer: f.receiverAddress as Address });
    await send(f.deployer, f.receiver, 'open', [f.channelsAddress, termsTuple(terms)], { value: 1_000n });
    const id = (await f.channels.getFunction('channelId')(termsTuple(terms))) as string;
    expect(await f.state(id)).toEqual({ deposit: 1_000n, claimed: 0n, closesAt: 0n });

    const close = await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 250n, f.voucher(id, 250n)]);
    expect(eventsOf(close, f.channels)).toEqual([
      { name: 'ChannelClaimed', args: { channelId: id, amount: 250n, claimed: 250n } },
      { name: 'ChannelSettled', args: { channelId: id, providerTotal: 250n, consumerRefund: 750n } },
      { name: 'PayoutDeferred', args: { token: ZERO_ADDRESS, account: f.receiverAddress, amount: 750n } },
    ]);
    expect(await owed(f.receiverAddress)).toBe(750n);
    expect(await f.balance(f.receiverAddress)).toBe(0n);

    // Still refusing: the pull reverts TransferFailed and the debt stays.
    expect(await f.revert(send(f.deployer, f.receiver, 'withdrawOwed', [f.channelsAddress]))).toEqual({
      name: 'TransferFailed',
      args: [f.receiverAddress, 750n],
    });
    expect(await owed(f.receiverAddress)).toBe(750n);

    await send(f.deployer, f.receiver, 'setAccept', [true]);
    const pulled = await send(f.deployer, f.receiver, 'withdrawOwed', [f.channelsAddress]);
    expect(eventsOf(pulled, f.channels)).toEqual([
      { name: 'OwedWithdrawn', args: { token: ZERO_ADDRESS, account: f.receiverAddress, amount: 750n } },
    ]);
    expect(await f.balance(f.receiverAddress)).toBe(750n);
    expect(await owed(f.receiverAddress)).toBe(0n);

    expect(await f.revert(send(f.deployer, f.receiver, 'withdrawOwed', [f.channelsAddress]))).toEqual({
      name: 'ZeroAmount',
      args: [],
    });
    await send(f.deployer, f.receiver, 'setAccept', [false]);
  });

  it('a consumer contract that accepts ETH gets its refund pushed', async () => {
    await send(f.deployer, f.receiver, 'setAccept', [true]);
    const terms = f.terms({ consumer: f.receiverAddress as Address });
    await send(f.deployer, f.receiver, 'open', [f.channelsAddress, termsTuple(terms)], { value: 500n });
    const before = await f.balance(f.receiverAddress);
    const close = await f.tx(f.provider, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
    expect(eventsOf(close, f.channels).map((e) => e.name)).toEqual(['ChannelSettled']);
    expect((await f.balance(f.receiverAddress)) - before).toBe(500n);
    await send(f.deployer, f.receiver, 'setAccept', [false]);
  });

  it('withdrawOwed reverts ZeroAmount for an account owed nothing', async () => {
    for (const token of [ZERO_ADDRESS, f.tokenAddress]) {
      expect(await f.revert(f.tx(f.stranger, 'withdrawOwed', [token]))).toEqual({ name: 'ZeroAmount', args: [] });
    }
  });
});
