import { AbiCoder, TypedDataEncoder, keccak256, toUtf8Bytes } from 'ethers';
import { termsTuple } from '@chanpay/protocol';
import { DOMAIN_NAME, DOMAIN_VERSION, VOUCHER_TYPE, VOUCHER_TYPES, bufferToHex, channelIdOf, recoverSigner } from '@chanpay/protocol/node';
import { NODES, eventsOf, send, startChannelsFixture, type ChannelsFixture } from '../helpers';

const TERMS_TUPLE_TYPE = 'tuple(address,address,address,address,uint32,bytes32)';

describe.each(NODES)('PaymentChannels views on $name', (node) => {
  let f: ChannelsFixture;
  beforeAll(async () => {
    f = await startChannelsFixture(node);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('channelId equals channelIdOf and keccak256(abi.encode(terms))', async () => {
    for (const terms of [f.terms(), f.terms({ token: f.tokenAddress, challengePeriod: 4_294_967_295 })]) {
      const onChain = (await f.channels.getFunction('channelId')(termsTuple(terms))) as string;
      const abiEncoded = keccak256(AbiCoder.defaultAbiCoder().encode([TERMS_TUPLE_TYPE], [termsTuple(terms)]));
      expect(onChain).toBe(channelIdOf(terms));
      expect(onChain).toBe(abiEncoded);
    }
  });

  it('domainSeparator equals VoucherHasher.separator and the EIP-712 domain of ethers', async () => {
    const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: f.chainId, verifyingContract: f.channelsAddress };
    const onChain = (await f.channels.getFunction('domainSeparator')()) as string;
    expect(onChain).toBe(bufferToHex(f.hasher.separator));
    expect(onChain).toBe(TypedDataEncoder.hashDomain(domain));
  });

  it('eip712Domain (ERC-5267) names the domain the wire code hashes', async () => {
    const [fields, name, version, chainId, verifyingContract, salt, extensions] = (await f.channels.getFunction('eip712Domain')()) as [
      string,
      string,
      string,
      bigint,
      string,
      string,
      bigint[],
    ];
    expect(fields).toBe('0x0f'); // name, version, chainId, verifyingContract
    expect([name, version, chainId, verifyingContract.toLowerCase()]).toEqual([DOMAIN_NAME, DOMAIN_VERSION, f.chainId, f.channelsAddress]);
    expect(salt).toBe('0x' + '00'.repeat(32));
    expect(extensions).toEqual([]);
  });

  it('voucherDigest equals the wire digest and ethers TypedDataEncoder.hash', async () => {
    const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: f.chainId, verifyingContract: f.channelsAddress };
    const id = channelIdOf(f.terms());
    for (const amount of [0n, 1n, 123_456_789n, (1n << 96n) - 1n, (1n << 256n) - 1n]) {
      const onChain = (await f.channels.getFunction('voucherDigest')(id, amount)) as string;
      expect(onChain).toBe(bufferToHex(f.hasher.digest(id, amount)));
      expect(onChain).toBe(
        TypedDataEncoder.hash(domain, { Voucher: [...VOUCHER_TYPES.Voucher] }, { channelId: id, cumulativeAmount: amount }),
      );
    }
  });

  it('exposes VOUCHER_TYPEHASH and FINALIZED', async () => {
    expect(await f.channels.getFunction('VOUCHER_TYPEHASH')()).toBe(keccak256(toUtf8Bytes(VOUCHER_TYPE)));
    expect(await f.channels.getFunction('FINALIZED')()).toBe((1n << 64n) - 1n);
  });

  it('channel() of an id never opened is all zero, and owed() of anyone is zero', async () => {
    expect([...(await f.channels.getFunction('channel')(channelIdOf(f.terms())))]).toEqual([0n, 0n, 0n]);
    expect(await f.channels.getFunction('owed')(f.tokenAddress, f.stranger.address)).toBe(0n);
  });

  it('accepts a voucher signed by ethers signTypedData with VOUCHER_TYPES', async () => {
    const terms = f.terms();
    const { id } = await f.open(terms, 10_000n);
    const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: f.chainId, verifyingContract: f.channelsAddress };
    const signature = await f.signer.signTypedData(
      domain,
      { Voucher: [...VOUCHER_TYPES.Voucher] },
      {
        channelId: id,
        cumulativeAmount: 2500n,
      },
    );
    // The wire code and ethers produce the same deterministic (RFC 6979) signature for the same digest.
    expect(signature).toBe(f.voucher(id, 2500n));
    expect(recoverSigner(f.hasher.digest(id, 2500n), signature)).toEqual({ ok: true, address: f.signer.address.toLowerCase() });
    const receipt = await send(f.provider, f.channels, 'claim', [termsTuple(terms), 2500n, signature]);
    expect(eventsOf(receipt, f.channels)).toEqual([{ name: 'ChannelClaimed', args: { channelId: id, amount: 2500n, claimed: 2500n } }]);
  });
});
