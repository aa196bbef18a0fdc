import { MAX_BAGGAGE_LENGTH, isValidOrigin, originOfBaggage, withOriginBaggage } from '@chanpay/protocol';

describe('origin in W3C baggage', () => {
  test('reads chanpay.origin among other members, with properties and spaces, percent-decoded', () => {
    expect(originOfBaggage(undefined)).toEqual({ ok: true, origin: null });
    expect(originOfBaggage('')).toEqual({ ok: true, origin: null });
    expect(originOfBaggage('userId=alice,tenant=7')).toEqual({ ok: true, origin: null });
    expect(originOfBaggage('chanpay.origin=front-a')).toEqual({ ok: true, origin: 'front-a' });
    expect(originOfBaggage('a=1, chanpay.origin = front-b ;prop=x ,b=2')).toEqual({ ok: true, origin: 'front-b' });
    expect(originOfBaggage('chanpay.origin=team%3Aalice')).toEqual({ ok: true, origin: 'team:alice' });
    // A member that is not ours and not well-formed is passed on unread.
    expect(originOfBaggage('garbage,chanpay.origin=x')).toEqual({ ok: true, origin: 'x' });
  });

  test('refuses a bad value, a repeated member, bad percent-encoding and a header beyond the W3C limits', () => {
    for (const bad of [
      'chanpay.origin=',
      'chanpay.origin=a b',
      'chanpay.origin=%E0%A4%A',
      'chanpay.origin=caf%C3%A9',
      `chanpay.origin=${'a'.repeat(65)}`,
      'chanpay.origin=a,chanpay.origin=b',
      `chanpay.origin=a,x=${'y'.repeat(MAX_BAGGAGE_LENGTH)}`,
      Array.from({ length: 181 }, (_, i) => `k${i}=v`).join(','),
    ]) {
      const r = originOfBaggage(bad);
      expect([bad.slice(0, 40), r.ok]).toEqual([bad.slice(0, 40), false]);
      if (!r.ok) expect(r.message).toMatch(/baggage|chanpay\.origin/);
    }
  });

  test('withOriginBaggage sets ours first, replaces an earlier one, and keeps the other members', () => {
    expect(withOriginBaggage(undefined, 'front-a')).toBe('chanpay.origin=front-a');
    expect(withOriginBaggage('a=1, chanpay.origin=old;p, b=2', 'new')).toBe('chanpay.origin=new,a=1,b=2');
    expect(originOfBaggage(withOriginBaggage('x=1', 'svc.v2_0:eu-1'))).toEqual({ ok: true, origin: 'svc.v2_0:eu-1' });
    expect(() => withOriginBaggage(undefined, 'not valid')).toThrow(/not a valid origin/);
    expect(isValidOrigin('~other')).toBe(false);
  });
});
