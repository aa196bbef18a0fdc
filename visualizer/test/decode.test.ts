import { Interface, ZeroAddress, getAddress, zeroPadValue } from 'ethers';
import { PAYMENT_CHANNELS_ABI as abi, PAYMENT_CHANNELS_BYTECODE as bytecode } from '@chanpay/protocol';
import { decodeCall, decodeEvent, formatArgs, isPaymentChannelsDeployment } from '../src/lib/decode';
import { toChannelEvent, compareLogPositions } from '../src/lib/events';

const contract = new Interface(abi);
const consumer = '0x1111111111111111111111111111111111111111';
const provider = '0x2222222222222222222222222222222222222222';
const signer = '0x3333333333333333333333333333333333333333';
const salt = '0x' + 'ab'.repeat(32);
const channelId = '0x' + 'cd'.repeat(32);
const terms = [consumer, provider, signer, ZeroAddress, 3600, salt];

function log(name: string, args: unknown[], at = { blockNumber: 7, logIndex: 0 }) {
  const { topics, data } = contract.encodeEventLog(name, args);
  return { address: '0xAbCdEf0000000000000000000000000000000001', topics, data, transactionHash: '0x' + '01'.repeat(32), ...at };
}

describe('decodeCall', () => {
  it('decodes open with its terms tuple by field name', () => {
    const data = contract.encodeFunctionData('open', [terms, 5_000_000_000_000_000n]);
    const call = decodeCall(data, 5_000_000_000_000_000n);
    expect(call).toEqual({
      name: 'open',
      signature: 'open((address,address,address,address,uint32,bytes32),uint256)',
      args: {
        terms: { consumer, provider, signer, token: ZeroAddress, challengePeriod: '3600', salt },
        amount: '5000000000000000',
      },
    });
  });

  it('decodes claimBatch arrays of tuples and bytes', () => {
    const data = contract.encodeFunctionData('claimBatch', [
      [
        [terms, 42n, '0x1234'],
        [terms, 43n, '0x'],
      ],
    ]);
    const call = decodeCall(data)!;
    expect(call.name).toBe('claimBatch');
    const claims = call.args.claims as { cumulativeAmount: string; signature: string }[];
    expect(claims.map((c) => [c.cumulativeAmount, c.signature])).toEqual([
      ['42', '0x1234'],
      ['43', '0x'],
    ]);
  });

  it('lower-cases addresses given in checksum form', () => {
    const checksummed = getAddress('0xabcdef0000000000000000000000000000000001');
    expect(checksummed).not.toBe(checksummed.toLowerCase());
    const data = contract.encodeFunctionData('withdrawOwed', [checksummed]);
    expect(decodeCall(data)!.args).toEqual({ token: '0xabcdef0000000000000000000000000000000001' });
  });

  it('returns null for empty input, plain transfers and other contracts’ selectors', () => {
    expect(decodeCall('0x')).toBeNull();
    expect(decodeCall('')).toBeNull();
    expect(decodeCall('0xa9059cbb' + '00'.repeat(64))).toBeNull(); // ERC-20 transfer
    expect(decodeCall('0x12')).toBeNull();
  });

  it('returns null for a known selector with truncated arguments', () => {
    const data = contract.encodeFunctionData('open', [terms, 1n]);
    expect(decodeCall(data.slice(0, 40))).toBeNull();
  });

  it('formats arguments on one line', () => {
    const call = decodeCall(contract.encodeFunctionData('topUp', [terms, 7n]))!;
    expect(formatArgs(call.args)).toBe(
      `terms: { consumer: ${consumer}, provider: ${provider}, signer: ${signer}, token: ${ZeroAddress}, challengePeriod: 3600, salt: ${salt} }, amount: 7`,
    );
  });
});

describe('decodeEvent and toChannelEvent', () => {
  it('types every channel event with bigint amounts and lower-case addresses', () => {
    const opened = toChannelEvent(log('ChannelOpened', [channelId, consumer, provider, signer, ZeroAddress, 60, salt, 10n]));
    expect(opened).toMatchObject({
      kind: 'ChannelOpened',
      channelId,
      consumer,
      provider,
      signer,
      token: ZeroAddress,
      challengePeriod: 60,
      salt,
      deposit: 10n,
      blockNumber: 7,
      logIndex: 0,
    });
    expect(toChannelEvent(log('ChannelToppedUp', [channelId, consumer, 5n, 15n]))).toMatchObject({
      kind: 'ChannelToppedUp',
      payer: consumer,
      amount: 5n,
      deposit: 15n,
    });
    expect(toChannelEvent(log('ChannelClaimed', [channelId, 4n, 9n]))).toMatchObject({ kind: 'ChannelClaimed', amount: 4n, claimed: 9n });
    expect(toChannelEvent(log('ChannelCloseStarted', [channelId, 1_790_000_000n]))).toMatchObject({
      kind: 'ChannelCloseStarted',
      closesAt: 1_790_000_000,
    });
    expect(toChannelEvent(log('ChannelSettled', [channelId, 9n, 6n]))).toMatchObject({
      kind: 'ChannelSettled',
      providerTotal: 9n,
      consumerRefund: 6n,
    });
    expect(toChannelEvent(log('PayoutDeferred', [ZeroAddress, provider, 3n]))).toMatchObject({
      kind: 'PayoutDeferred',
      account: provider,
      amount: 3n,
    });
    expect(toChannelEvent(log('OwedWithdrawn', [ZeroAddress, provider, 3n]))).toMatchObject({
      kind: 'OwedWithdrawn',
      account: provider,
      amount: 3n,
    });
  });

  it('keeps the emitting address and position of a decoded event', () => {
    const event = decodeEvent(log('ChannelClaimed', [channelId, 4n, 9n], { blockNumber: 3, logIndex: 2 }))!;
    expect(event).toMatchObject({
      name: 'ChannelClaimed',
      address: '0xabcdef0000000000000000000000000000000001',
      blockNumber: 3,
      logIndex: 2,
    });
    expect(event.args).toEqual({ channelId, amount: '4', claimed: '9' });
  });

  it('ignores logs it does not know (ERC-20 Transfer, EIP712DomainChanged)', () => {
    const transfer = {
      address: ZeroAddress,
      topics: [
        '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
        zeroPadValue(consumer, 32),
        zeroPadValue(provider, 32),
      ],
      data: zeroPadValue('0x05', 32),
      blockNumber: 1,
      logIndex: 0,
      transactionHash: '0x00',
    };
    expect(decodeEvent(transfer)).toBeNull();
    expect(toChannelEvent(transfer)).toBeNull();
    expect(toChannelEvent(log('EIP712DomainChanged', []))).toBeNull();
    expect(decodeEvent({ ...transfer, topics: [] })).toBeNull();
  });

  it('orders log positions by block, then index', () => {
    const positions = [
      { blockNumber: 2, logIndex: 1, transactionHash: 'a' },
      { blockNumber: 1, logIndex: 5, transactionHash: 'b' },
      { blockNumber: 2, logIndex: 0, transactionHash: 'c' },
    ];
    expect([...positions].sort(compareLogPositions).map((p) => p.transactionHash)).toEqual(['b', 'c', 'a']);
  });
});

describe('deployments', () => {
  it('recognises exactly the PaymentChannels creation code', () => {
    expect(isPaymentChannelsDeployment(bytecode)).toBe(true);
    expect(isPaymentChannelsDeployment(bytecode.toUpperCase().replace('0X', '0x'))).toBe(true);
    expect(isPaymentChannelsDeployment(bytecode + '00')).toBe(false);
    expect(isPaymentChannelsDeployment('0x6080')).toBe(false);
  });
});
