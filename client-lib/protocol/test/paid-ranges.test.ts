import fc from 'fast-check';
import { PaidRanges } from '@chanpay/protocol';

describe('PaidRanges: each voucher pays for (amount - price, amount]', () => {
  test('in order it is "at least the last amount plus the price"', () => {
    const r = new PaidRanges(0n);
    expect(r.fits(10n, 10n)).toBe(true);
    r.add(10n, 10n);
    expect(r.fits(19n, 10n)).toBe(false); // underpays by 1
    expect(r.fits(10n, 10n)).toBe(false); // replay
    expect(r.fits(20n, 10n)).toBe(true);
    r.add(20n, 10n);
    expect(r.highest).toBe(20n);
    expect(r.gaps).toBe(0);
  });

  test('a voucher below its price never fits, and nothing below the floor does', () => {
    const r = new PaidRanges(100n);
    expect(r.fits(5n, 10n)).toBe(false);
    expect(r.fits(100n, 10n)).toBe(false);
    expect(r.fits(110n, 10n)).toBe(true);
  });

  test('voucher N+1 arriving before N: both are accepted once, a replay of either is not', () => {
    const r = new PaidRanges(0n);
    expect(r.fits(20n, 10n)).toBe(true);
    r.add(20n, 10n);
    expect(r.gaps).toBe(1);
    expect(r.fits(10n, 10n)).toBe(true);
    r.add(10n, 10n);
    expect(r.gaps).toBe(0);
    expect(r.fits(10n, 10n)).toBe(false);
    expect(r.fits(20n, 10n)).toBe(false);
    expect(r.highest).toBe(20n);
  });

  test('raiseFloor swallows everything below it', () => {
    const r = new PaidRanges(0n);
    r.add(30n, 10n);
    r.add(60n, 10n);
    r.raiseFloor(40n);
    expect(r.fits(10n, 10n)).toBe(false);
    expect(r.fits(50n, 10n)).toBe(true);
    expect(r.highest).toBe(60n);
  });

  test('gaps are bounded: the lowest is given up (refused later, never served free)', () => {
    const r = new PaidRanges(0n, 2);
    r.add(20n, 10n);
    r.add(40n, 10n);
    r.add(60n, 10n); // third gap: (0,10] is given up
    expect(r.gaps).toBe(2);
    expect(r.fits(10n, 10n)).toBe(false);
    expect(r.fits(30n, 10n)).toBe(true);
  });

  test("property: any arrival order of a consumer's vouchers charges each call exactly once, replays never", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        (prices, shuffle) => {
          // The consumer signs cumulative amounts c_i = c_{i-1} + p_i.
          let c = 0n;
          const vouchers = prices.map((p) => ({ amount: (c += BigInt(p)), price: BigInt(p) }));
          const order = vouchers
            .map((v, i) => ({ v, k: shuffle[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.v);
          const r = new PaidRanges(0n, 1000);
          let charged = 0n;
          for (const v of order) {
            expect(r.fits(v.amount, v.price)).toBe(true);
            r.add(v.amount, v.price);
            charged += v.price;
          }
          for (const v of vouchers) expect(r.fits(v.amount, v.price)).toBe(false);
          expect(charged).toBe(c);
          expect(r.highest).toBe(c);
          expect(r.gaps).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: never serves more than the highest voucher it can claim', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 40 })), { maxLength: 80 }), (attempts) => {
        const r = new PaidRanges(0n, 8);
        let served = 0n;
        for (const [a, p] of attempts) {
          if (r.fits(BigInt(a), BigInt(p))) {
            r.add(BigInt(a), BigInt(p));
            served += BigInt(p);
          }
        }
        expect(served <= r.highest).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('serialize and parse keep every range (the shared provider state stores them as text)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 20 })), { maxLength: 40 }), (offers) => {
        const r = new PaidRanges(7n, 8);
        for (const [amount, price] of offers) if (r.fits(BigInt(amount), BigInt(price))) r.add(BigInt(amount), BigInt(price));
        const back = PaidRanges.parse(r.serialize(), 8);
        expect(back.serialize()).toBe(r.serialize());
        expect([back.highest, back.gaps, back.floor]).toEqual([r.highest, r.gaps, r.floor]);
        for (let a = 1; a <= 420; a += 3) expect(back.fits(BigInt(a), 2n)).toBe(r.fits(BigInt(a), 2n));
      }),
      { numRuns: 200 },
    );
    expect(() => PaidRanges.parse('1:5')).toThrow(/start at 0/);
    expect(() => PaidRanges.parse('0:x')).toThrow(/not paid ranges/);
  });
});
