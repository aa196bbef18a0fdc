import { ChanpayError, PAYMENT_SCHEME, ZERO_ADDRESS, type PaymentTerms } from '@chanpay/protocol';
import { contextFromConfig } from '../../src';
import { blockSize, callsPerVoucher, checkTerms } from '../../src/consumer/terms-policy';

/** Which terms the consumer pays, and how many calls one voucher prepays. */

const ctx = contextFromConfig(
  {
    chainId: '1337',
    contract: '0x' + '22'.repeat(20),
    accounts: [{ name: 'consumer', address: '0x' + '33'.repeat(20), signer: '0x' + '44'.repeat(20) }],
    defaults: { challengePeriod: 60, minChallengePeriod: 2, minDeposit: '0', acceptedTokens: [ZERO_ADDRESS] },
    claimPolicy: { thresholdWei: '0', intervalSeconds: 0 },
    statsWindowSeconds: 60,
  },
  undefined,
);
const terms: PaymentTerms = {
  scheme: PAYMENT_SCHEME,
  price: '1000',
  provider: ('0x' + '11'.repeat(20)) as PaymentTerms['provider'],
  contract: ctx.contract,
  chainId: '1337',
  token: ZERO_ADDRESS,
  minDeposit: '5000',
  minChallengePeriod: 2,
};
const limits = { deposit: 10_000n, maxPrice: 2_000n };

function refusal(t: Partial<PaymentTerms> | Record<string, unknown>): string | null {
  try {
    checkTerms({ ...terms, ...t } as PaymentTerms, ctx, limits, 'GET http://127.0.0.1:9/x');
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(ChanpayError);
    expect((e as ChanpayError).message).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/x: /);
    return (e as ChanpayError).code;
  }
}

describe('checkTerms', () => {
  test('terms it can pay pass, with the contract in any case', () => {
    expect(refusal({})).toBeNull();
    expect(refusal({ contract: ctx.contract.toUpperCase().replace('0X', '0x') as PaymentTerms['contract'] })).toBeNull();
  });

  test.each([
    ['another chain', { chainId: '1' }, 'WRONG_DOMAIN'],
    ['a chain id that is no number', { chainId: 'x' }, 'WRONG_DOMAIN'],
    ['another contract', { contract: '0x' + '99'.repeat(20) }, 'WRONG_DOMAIN'],
    ['another scheme', { scheme: 'other' }, 'TERMS_NOT_ACCEPTED'],
    ['a provider that is no address', { provider: '0x12' }, 'TERMS_NOT_ACCEPTED'],
    ['another token', { token: '0x' + '55'.repeat(20) }, 'TERMS_NOT_ACCEPTED'],
    ['a zero price', { price: '0' }, 'TERMS_NOT_ACCEPTED'],
    ['a price that is no number', { price: '1e3' }, 'TERMS_NOT_ACCEPTED'],
    ['a price above our maximum', { price: '2001' }, 'TERMS_NOT_ACCEPTED'],
    ['a minimum deposit above ours', { minDeposit: '10001' }, 'TERMS_NOT_ACCEPTED'],
    ['a negative minimum challenge period', { minChallengePeriod: -1 }, 'TERMS_NOT_ACCEPTED'],
    ['a minimum challenge period beyond uint32', { minChallengePeriod: 2 ** 32 }, 'TERMS_NOT_ACCEPTED'],
  ])('refuses %s', (_what, t, code) => {
    expect(refusal(t)).toBe(code);
  });
});

describe('calls per voucher', () => {
  test("the consumer's prepay, capped by what the provider takes; 1 when either side does not prepay", () => {
    const taking = (maxCalls: unknown) => ({ ...terms, prepay: { maxCalls } }) as PaymentTerms;
    expect(callsPerVoucher(100, taking(256))).toBe(100);
    expect(callsPerVoucher(100, taking(20))).toBe(20);
    expect(callsPerVoucher(10_000, taking(10_000))).toBe(4096);
    expect(callsPerVoucher(undefined, taking(256))).toBe(1);
    expect(callsPerVoucher(1, taking(256))).toBe(1);
    expect(callsPerVoucher(100, terms)).toBe(1);
    expect(callsPerVoucher(100, taking(1))).toBe(1);
    expect(callsPerVoucher(100, taking(2.5))).toBe(1);
    expect(callsPerVoucher(100, taking('256'))).toBe(1);
  });

  test('a block takes no more than the deposit covers (unless under two calls), nor more than the top-up threshold', () => {
    expect(blockSize(1, 0n, null)).toBe(1);
    expect(blockSize(100, 1000n, null)).toBe(100);
    expect(blockSize(100, 40n, null)).toBe(40);
    // Fewer than two calls left: the full block, which waits for the top-up like a single call would.
    expect(blockSize(100, 1n, null)).toBe(100);
    expect(blockSize(100, 1000n, 30n)).toBe(30);
    expect(blockSize(100, 40n, 30n)).toBe(30);
    expect(blockSize(100, 1000n, 1n)).toBe(1);
  });
});
