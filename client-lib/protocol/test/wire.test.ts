import fc from 'fast-check';
import { AbiCoder, SigningKey, TypedDataEncoder, Wallet, hexlify, keccak256 } from 'ethers';
import {
  MAX_UINT256,
  MAX_VOUCHER_HEADER_LENGTH,
  PAYMENT_SCHEME,
  decodeReceipt,
  decodeTerms,
  decodeVoucher,
  encodeReceipt,
  encodeTerms,
  encodeVoucher,
  termsTuple,
  type Address,
  type ChannelTerms,
  type PaymentTerms,
  type Voucher,
} from '@chanpay/protocol';
import {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  VOUCHER_TYPES,
  VoucherHasher,
  VoucherSigner,
  addressOfPrivateKey,
  bufferToHex,
  channelIdOf,
  hexToBuffer,
  keccak256 as keccak256Native,
  nativeCryptoLoaded,
  nativeKeccakLoaded,
  recoverSigner,
  signDigest,
  uint256Word,
  voucherSigner,
} from '@chanpay/protocol/node';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const KEY = hexToBuffer('0x' + '11'.repeat(32));
const KEY_ADDRESS = new Wallet('0x' + '11'.repeat(32)).address.toLowerCase();
const CONTRACT = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Address;
const CHANNEL = '0x' + 'ab'.repeat(32);
const hasher = new VoucherHasher({ chainId: 1337n, contract: CONTRACT });

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => hexlify(b));
const uint256 = fc.bigInt({ min: 0n, max: MAX_UINT256 });

function voucher(overrides: Partial<Voucher> = {}): Voucher {
  return { ...new VoucherSigner(hasher, KEY).sign(CHANNEL, 42_000n), ...overrides };
}

/** A valid header with one dot-separated part replaced (0 = version … 5 = signature). */
function withPart(index: number, value: string): string {
  const parts = encodeVoucher(voucher()).split('.');
  parts[index] = value;
  return parts.join('.');
}

describe('native crypto', () => {
  it('uses the native libsecp256k1 binding, not the pure-JS fallback', () => {
    expect(nativeCryptoLoaded()).toBe(true);
  });

  it('uses the native keccak sponge, and it hashes like ethers (one part or many, any length)', () => {
    expect(nativeKeccakLoaded()).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (parts) => {
        expect(bufferToHex(keccak256Native(...parts))).toBe(keccak256(Buffer.concat(parts)));
      }),
      { numRuns: 200 },
    );
    expect(bufferToHex(keccak256Native())).toBe(keccak256(new Uint8Array()));
  });
});

describe('voucher header', () => {
  it('round-trips through encode and decode', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
        hex(20),
        hex(32),
        uint256,
        hex(65),
        (chainId, contract, channelId, amount, signature) => {
          const v: Voucher = { chainId, contract: contract as Address, channelId, amount, signature };
          expect(decodeVoucher(encodeVoucher(v))).toEqual({ ok: true, voucher: v });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('normalizes hex to lower case and tolerates surrounding whitespace', () => {
    const v = voucher();
    const upper = [
      '1',
      '1337',
      '0x' + CONTRACT.slice(2).toUpperCase(),
      '0x' + CHANNEL.slice(2).toUpperCase(),
      '42000',
      '0x' + v.signature.slice(2).toUpperCase(),
    ].join('.');
    expect(decodeVoucher(`  ${upper}\t`)).toEqual({ ok: true, voucher: v });
  });

  it('accepts 0 and the largest uint256 as amounts', () => {
    for (const amount of [0n, MAX_UINT256]) {
      const decoded = decodeVoucher(withPart(4, amount.toString()));
      expect(decoded.ok && decoded.voucher.amount).toBe(amount);
    }
  });

  it('rejects another version with UNSUPPORTED_VOUCHER_VERSION', () => {
    for (const version of ['2', '0', 'v1', '01']) {
      expect(decodeVoucher(withPart(0, version))).toMatchObject({ ok: false, code: 'UNSUPPORTED_VOUCHER_VERSION' });
    }
  });

  it.each([
    ['no parts', ''],
    ['too few parts', '1.1337.0xab'],
    ['too many parts', encodeVoucher(voucher()) + '.1'],
    ['another version with the wrong number of parts', '2.1337'],
    ['an amount with a decimal point (splits into 7 parts)', withPart(4, '1.5')],
  ])('rejects %s as MALFORMED_VOUCHER', (_label, header) => {
    expect(decodeVoucher(header)).toMatchObject({ ok: false, code: 'MALFORMED_VOUCHER' });
  });

  it.each([
    ['hex amount', 4, '0x10'],
    ['negative amount', 4, '-1'],
    ['exponent amount', 4, '1e3'],
    ['leading-zero amount', 4, '01'],
    ['empty amount', 4, ''],
    ['amount of 79 digits', 4, '1'.repeat(79)],
    ['amount 2^256 (78 digits, one above uint256)', 4, (MAX_UINT256 + 1n).toString()],
    ['hex chain id', 1, '0x539'],
    ['empty chain id', 1, ''],
    ['19-byte contract', 2, '0x' + 'aa'.repeat(19)],
    ['21-byte contract', 2, '0x' + 'aa'.repeat(21)],
    ['contract without 0x', 2, 'aa'.repeat(20)],
    ['contract with a non-hex digit', 2, '0x' + 'g'.repeat(40)],
    ['31-byte channel id', 3, '0x' + 'ab'.repeat(31)],
    ['33-byte channel id', 3, '0x' + 'ab'.repeat(33)],
    ['channel id with a non-hex digit', 3, '0x' + 'zz'.repeat(32)],
    ['64-byte signature', 5, '0x' + 'cd'.repeat(64)],
    ['66-byte signature', 5, '0x' + 'cd'.repeat(66)],
    ['odd-length signature', 5, '0x' + 'c'.repeat(131)],
    ['signature with a non-hex digit', 5, '0x' + 'x'.repeat(130)],
  ] as const)('rejects a %s as MALFORMED_VOUCHER', (_label, index, value) => {
    const result = decodeVoucher(withPart(index, value));
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED_VOUCHER' });
    if (value === (MAX_UINT256 + 1n).toString()) expect(result).toMatchObject({ message: 'amount exceeds uint256' });
  });

  it('rejects a header longer than the limit with VOUCHER_TOO_LARGE before parsing it', () => {
    const valid = encodeVoucher(voucher());
    expect(valid.length).toBeLessThan(MAX_VOUCHER_HEADER_LENGTH);
    expect(decodeVoucher(valid.padEnd(MAX_VOUCHER_HEADER_LENGTH, ' ')).ok).toBe(true);
    expect(decodeVoucher(valid.padEnd(MAX_VOUCHER_HEADER_LENGTH + 1, ' '))).toMatchObject({ ok: false, code: 'VOUCHER_TOO_LARGE' });
    expect(decodeVoucher('1.'.repeat(100_000))).toMatchObject({ ok: false, code: 'VOUCHER_TOO_LARGE' });
  });
});

describe('signatures', () => {
  const digest = hasher.digest(CHANNEL, 42_000n);

  it('signDigest is the same deterministic low-s signature ethers SigningKey makes', () => {
    fc.assert(
      fc.property(hex(32), hex(32), (d, key) => {
        fc.pre(BigInt(key) > 0n && BigInt(key) < SECP256K1_N);
        expect(signDigest(hexToBuffer(d), hexToBuffer(key))).toBe(new SigningKey(key).sign(d).serialized);
      }),
      { numRuns: 100 },
    );
  });

  it("recovers the signer, which equals the key's address", () => {
    expect(addressOfPrivateKey(KEY)).toBe(KEY_ADDRESS);
    expect(recoverSigner(digest, signDigest(digest, KEY))).toEqual({ ok: true, address: KEY_ADDRESS });
    const v = voucher();
    expect(voucherSigner(hasher, v)).toEqual({ ok: true, address: KEY_ADDRESS });
    expect(voucherSigner(hasher, { ...v, amount: v.amount + 1n })).not.toEqual({ ok: true, address: KEY_ADDRESS });
  });

  it('rejects the malleable high-s twin of a valid signature', () => {
    const sig = hexToBuffer(signDigest(digest, KEY));
    const s = BigInt(bufferToHex(sig.subarray(32, 64)));
    const twin = Buffer.concat([sig.subarray(0, 32), uint256Word(SECP256K1_N - s), Buffer.from([sig[64] === 27 ? 28 : 27])]);
    expect(recoverSigner(digest, bufferToHex(twin))).toEqual({ ok: false, reason: 'signature s is not canonical' });
  });

  it.each([0, 1, 26, 29, 255])('rejects v = %i', (v) => {
    const sig = signDigest(digest, KEY).slice(0, 130) + v.toString(16).padStart(2, '0');
    expect(recoverSigner(digest, sig)).toEqual({ ok: false, reason: 'signature v must be 27 or 28' });
  });

  it.each([
    ['64 bytes', (sig: string) => sig.slice(0, 130)],
    ['66 bytes', (sig: string) => sig + '00'],
    ['no 0x', (sig: string) => sig.slice(2)],
    ['a non-hex digit', (sig: string) => sig.slice(0, -1) + 'g'],
  ])('rejects a signature of %s', (_label, mangle) => {
    expect(recoverSigner(digest, mangle(signDigest(digest, KEY)))).toEqual({
      ok: false,
      reason: 'signature must be 65 bytes of hex',
    });
  });

  it('rejects r = 0, which recovers no key', () => {
    const sig = '0x' + '00'.repeat(32) + signDigest(digest, KEY).slice(66);
    expect(recoverSigner(digest, sig)).toEqual({ ok: false, reason: 'signature does not recover to a public key' });
  });
});

describe('EIP-712 digest and channel id equal what ethers (and so the contract) compute', () => {
  it('VoucherHasher.separator equals TypedDataEncoder.hashDomain', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), hex(20), (chainId, contract) => {
        const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: contract };
        expect(bufferToHex(new VoucherHasher({ chainId, contract: contract as Address }).separator)).toBe(
          TypedDataEncoder.hashDomain(domain),
        );
      }),
      { numRuns: 50 },
    );
  });

  it('VoucherHasher.digest equals TypedDataEncoder.hash', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), hex(20), hex(32), uint256, (chainId, contract, channelId, amount) => {
        const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: contract };
        const expected = TypedDataEncoder.hash(domain, { Voucher: [...VOUCHER_TYPES.Voucher] }, { channelId, cumulativeAmount: amount });
        expect(bufferToHex(new VoucherHasher({ chainId, contract: contract as Address }).digest(channelId, amount))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to hash an amount outside uint256', () => {
    expect(() => hasher.digest(CHANNEL, MAX_UINT256 + 1n)).toThrow(RangeError);
    expect(() => hasher.digest(CHANNEL, -1n)).toThrow(RangeError);
  });

  it('channelIdOf equals keccak256 of the ABI-encoded Terms tuple', () => {
    const coder = AbiCoder.defaultAbiCoder();
    fc.assert(
      fc.property(
        hex(20),
        hex(20),
        hex(20),
        hex(20),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        hex(32),
        (consumer, provider, signer, token, challengePeriod, salt) => {
          const terms = { consumer, provider, signer, token, challengePeriod, salt } as ChannelTerms;
          const encoded = coder.encode(['tuple(address,address,address,address,uint32,bytes32)'], [termsTuple(terms)]);
          expect(channelIdOf(terms)).toBe(keccak256(encoded));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('receipt header', () => {
  it('round-trips through encode and decode', () => {
    fc.assert(
      fc.property(hex(32), uint256, uint256, (channelId, amount, price) => {
        expect(decodeReceipt(encodeReceipt({ channelId, amount, price }))).toEqual({ channelId, amount, price });
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ['two parts', `${CHANNEL}.1`],
    ['four parts', `${CHANNEL}.1.2.3`],
    ['an upper-case channel id', `0x${CHANNEL.slice(2).toUpperCase()}.1.2`],
    ['a short channel id', `0x${'ab'.repeat(31)}.1.2`],
    ['a hex amount', `${CHANNEL}.0x1.2`],
    ['a negative price', `${CHANNEL}.1.-2`],
    ['a 79-digit amount', `${CHANNEL}.${'9'.repeat(79)}.2`],
    ['trailing text', `${CHANNEL}.1.2 `],
  ])('rejects %s', (_label, header) => {
    expect(decodeReceipt(header)).toBeNull();
  });
});

describe('402 payment terms header', () => {
  const terms: PaymentTerms = {
    scheme: PAYMENT_SCHEME,
    price: '1000',
    provider: KEY_ADDRESS as Address,
    contract: CONTRACT,
    chainId: '1337',
    token: '0x0000000000000000000000000000000000000000',
    minDeposit: '1000000',
    minChallengePeriod: 3600,
    reason: { code: 'AMOUNT_TOO_LOW', message: 'voucher below the price' },
    channel: { channelId: CHANNEL, acceptedAmount: '5000', signature: null },
  };

  it('round-trips through base64url JSON', () => {
    const header = encodeTerms(terms);
    expect(header).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeTerms(header)).toEqual(terms);
  });

  it('rejects another scheme, non-JSON, and anything longer than 8192 characters', () => {
    expect(decodeTerms(encodeTerms({ ...terms, scheme: 'other' as typeof PAYMENT_SCHEME }))).toBeNull();
    expect(decodeTerms(Buffer.from('not json').toString('base64url'))).toBeNull();
    expect(decodeTerms(Buffer.from('null').toString('base64url'))).toBeNull();
    expect(decodeTerms('')).toBeNull();
    expect(decodeTerms('A'.repeat(8193))).toBeNull();
  });
});
