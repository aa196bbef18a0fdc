import { termsTuple, ZERO_ADDRESS } from '@chanpay/protocol';
import { VoucherHasher, channelIdOf, hexToBuffer } from '@chanpay/protocol/node';
import { AbiCoder, getAddress } from 'ethers';
import { NODES, eventsOf, feeOf, increaseTime, send, signVoucher, startChannelsFixture, type ChannelsFixture } from '../helpers';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The malleable twin of a valid signature: s' = n - s with the other v. The precompile accepts it. */
function highS(signature: string): string {
  const sig = hexToBuffer(signature);
  const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
  const twin = Buffer.concat([sig.subarray(0, 32), Buffer.from((SECP256K1_N - s).toString(16).padStart(64, '0'), 'hex')]);
  return '0x' + Buffer.concat([twin, Buffer.from([sig[64] === 27 ? 28 : 27])]).toString('hex');
}

function withV(signature: string, v: number): string {
  return signature.slice(0, 130) + v.toString(16).padStart(2, '0');
}

describe.each(NODES)('PaymentChannels claim on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('pays the provider the voucher minus what it claimed before, and keeps the channel open', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 10_000n);
    const before = await f.balance(f.provider.address);
    const first = await f.tx(f.provider, 'claim', [termsTuple(terms), 3_000n, f.voucher(id, 3_000n)]);
    expect(eventsOf(first, f.channels)).toEqual([{ name: 'ChannelClaimed', args: { channelId: id, amount: 3_000n, claimed: 3_000n } }]);
    const second = await f.tx(f.provider, 'claim', [termsTuple(terms), 4_500n, f.voucher(id, 4_500n)]);
    expect(eventsOf(second, f.channels)).toEqual([{ name: 'ChannelClaimed', args: { channelId: id, amount: 1_500n, claimed: 4_500n } }]);
    expect((await f.balance(f.provider.address)) - before + feeOf(first) + feeOf(second)).toBe(4_500n);
    expect(await f.state(id)).toEqual({ deposit: 10_000n, claimed: 4_500n, closesAt: 0n });
  });

  it('pays an ERC-20 channel in its token', async () => {
    const terms = f.terms({ token: f.tokenAddress });
    const { id } = await f.open(terms, 10_000n);
    const before = await f.balance(f.provider.address, f.token);
    await f.tx(f.provider, 'claim', [termsTuple(terms), 2_500n, f.voucher(id, 2_500n)]);
    expect((await f.balance(f.provider.address, f.token)) - before).toBe(2_500n);
  });

  it('caps a voucher at the deposit, and pays the rest of it after a top-up', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 1_000n);
    const voucher = f.voucher(id, 1_500n);
    const capped = await f.tx(f.provider, 'claim', [termsTuple(terms), 1_500n, voucher]);
    expect(eventsOf(capped, f.channels)[0]!.args).toEqual({ channelId: id, amount: 1_000n, claimed: 1_000n });
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), 1_500n, voucher]))).toEqual({
      name: 'NothingToClaim',
      args: [id, 1_500n, 1_000n],
    });
    await f.tx(f.consumer, 'topUp', [termsTuple(terms), 300n], { value: 300n });
    const rest = await f.tx(f.provider, 'claim', [termsTuple(terms), 1_500n, voucher]);
    expect(eventsOf(rest, f.channels)[0]!.args).toEqual({ channelId: id, amount: 300n, claimed: 1_300n });
  });

  it('still pays during the challenge period, and reverts ChallengePeriodOver after it', async () => {
    const terms = f.terms({ challengePeriod: 600 });
    const { id } = await f.open(terms, 1_000n);
    const started = await f.tx(f.consumer, 'startClose', [termsTuple(terms)]);
    const closesAt = eventsOf(started, f.channels)[0]!.args.closesAt;
    await f.tx(f.provider, 'claim', [termsTuple(terms), 100n, f.voucher(id, 100n)]);
    await increaseTime(f.rpc, 601);
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), 200n, f.voucher(id, 200n)]))).toEqual({
      name: 'ChallengePeriodOver',
      args: [id, closesAt],
    });
  });

  it('reverts NotProvider for anyone but the provider, even with a valid voucher', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 1_000n);
    for (const caller of [f.stranger, f.consumer, f.signer]) {
      expect(await f.revert(f.tx(caller, 'claim', [termsTuple(terms), 10n, f.voucher(id, 10n)]))).toEqual({
        name: 'NotProvider',
        args: [caller.address.toLowerCase()],
      });
    }
  });

  it('reverts UnknownChannel for terms never opened and ChannelIsSettled after settlement', async () => {
    const unknown = f.terms();
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(unknown), 10n, f.voucher(channelIdOf(unknown), 10n)]))).toEqual({
      name: 'UnknownChannel',
      args: [channelIdOf(unknown)],
    });
    const settled = f.terms();
    const { id } = await f.open(settled, 1_000n);
    await f.tx(f.provider, 'closeByProvider', [termsTuple(settled), 0n, '0x']);
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(settled), 10n, f.voucher(id, 10n)]))).toEqual({
      name: 'ChannelIsSettled',
      args: [id],
    });
  });

  it('reverts NothingToClaim for a voucher not above the claimed total', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 1_000n);
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), 0n, f.voucher(id, 0n)]))).toEqual({
      name: 'NothingToClaim',
      args: [id, 0n, 0n],
    });
    await f.tx(f.provider, 'claim', [termsTuple(terms), 500n, f.voucher(id, 500n)]);
    for (const amount of [500n, 499n]) {
      expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), amount, f.voucher(id, amount)]))).toEqual({
        name: 'NothingToClaim',
        args: [id, amount, 500n],
      });
    }
  });

  describe('reverts InvalidVoucherSignature', () => {
    let terms: ReturnType<ChannelsFixture['terms']>;
    let id: string;
    beforeAll(async () => {
      terms = f.terms();
      ({ id } = await f.open(terms, 1_000n));
    });

    const cases: [string, () => { amount: bigint; signature: string }][] = [
      ['signed by another key (the consumer, not the signer)', () => ({ amount: 10n, signature: f.voucher(id, 10n, f.consumer) })],
      ['signed for another amount', () => ({ amount: 11n, signature: f.voucher(id, 10n) })],
      ['signed for another channel', () => ({ amount: 10n, signature: f.voucher(channelIdOf(f.terms()), 10n) })],
      [
        'signed for another contract',
        () => ({
          amount: 10n,
          signature: signVoucher(new VoucherHasher({ chainId: f.chainId, contract: f.tokenAddress }), id, 10n, f.signer.privateKey),
        }),
      ],
      [
        'signed for another chain',
        () => ({
          amount: 10n,
          signature: signVoucher(new VoucherHasher({ chainId: f.chainId + 1n, contract: f.channelsAddress }), id, 10n, f.signer.privateKey),
        }),
      ],
      ['64 bytes long', () => ({ amount: 10n, signature: f.voucher(id, 10n).slice(0, 130) })],
      ['66 bytes long', () => ({ amount: 10n, signature: f.voucher(id, 10n) + '00' })],
      ['empty', () => ({ amount: 10n, signature: '0x' })],
      [
        'with v = 0/1 instead of 27/28',
        () => ({ amount: 10n, signature: withV(f.voucher(id, 10n), Number('0x' + f.voucher(id, 10n).slice(130)) - 27) }),
      ],
      ['with v = 29', () => ({ amount: 10n, signature: withV(f.voucher(id, 10n), 29) })],
      ['with r = 0', () => ({ amount: 10n, signature: '0x' + '00'.repeat(32) + f.voucher(id, 10n).slice(66) })],
      ['the malleable high-s twin of a valid signature', () => ({ amount: 10n, signature: highS(f.voucher(id, 10n)) })],
    ];
    it.each(cases)('%s', async (_label, make) => {
      const { amount, signature } = make();
      expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), amount, signature]))).toEqual({
        name: 'InvalidVoucherSignature',
        args: [id],
      });
    });

    it('while the ecrecover precompile itself accepts the high-s twin (so the contract check is what rejects it)', async () => {
      const twin = hexToBuffer(highS(f.voucher(id, 10n)));
      const input = AbiCoder.defaultAbiCoder().encode(
        ['bytes32', 'uint8', 'bytes32', 'bytes32'],
        [f.hasher.digest(id, 10n), twin[64], twin.subarray(0, 32), twin.subarray(32, 64)],
      );
      const out = (await f.rpc.call({ to: '0x0000000000000000000000000000000000000001', data: input })) as string;
      expect(getAddress('0x' + out.slice(26))).toBe(f.signer.address);
      // and the untouched voucher is accepted
      await f.tx(f.provider, 'claim', [termsTuple(terms), 10n, f.voucher(id, 10n)]);
    });
  });

  it("a forged claim mined on chain fails and changes nothing but the sender's gas", async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 1_000n);
    const before = await f.balance(f.provider.address);
    const receipt = await f.tx(f.provider, 'claim', [termsTuple(terms), 10n, highS(f.voucher(id, 10n))], {
      allowRevert: true,
      gasLimit: 200_000n,
    });
    expect(receipt.status).toBe(0);
    expect(await f.balance(f.provider.address)).toBe(before - feeOf(receipt));
    expect(await f.state(id)).toEqual({ deposit: 1_000n, claimed: 0n, closesAt: 0n });
  });

  it('reverts ReentrancyGuardReentrantCall when the token re-enters while paying the claim', async () => {
    const terms = f.terms({ token: f.hostileTokenAddress });
    const { id } = await f.open(terms, 1_000n);
    const reenter = f.channels.interface.encodeFunctionData('claim', [termsTuple(terms), 20n, f.voucher(id, 20n)]);
    await send(f.consumer, f.hostileToken, 'arm', [f.channelsAddress, reenter]);
    expect(await f.revert(f.tx(f.provider, 'claim', [termsTuple(terms), 10n, f.voucher(id, 10n)]))).toEqual({
      name: 'ReentrancyGuardReentrantCall',
      args: [],
    });
    await send(f.consumer, f.hostileToken, 'arm', [ZERO_ADDRESS, '0x']);
    expect((await f.state(id)).claimed).toBe(0n);
  });
});
