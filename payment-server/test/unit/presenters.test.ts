import { ApiResponses } from '@chanpay/protocol';
import type { SentTx } from '../../src/chain/tx-sender';
import { channelJson, claimAllJson, closeJson, fundsJson, recordJson } from '../../src/http/presenters';
import { SIGNATURE, accepted } from './records';

const sent = (n: number): SentTx => ({ hash: '0x' + n.toString(16).padStart(64, '0'), gasUsed: 21_000n, receipt: {} as SentTx['receipt'] });

describe('channelJson', () => {
  const rec = accepted(300n, { claimed: 100n, signedAmount: 120n, signedSignature: SIGNATURE, signedAt: 2_000, calls: 7 });

  test('a provider sees the voucher it accepted and what it can still claim', () => {
    const json = channelJson(rec, 'provider', [{ start: 60, calls: 7, amount: 300n }]);
    expect(ApiResponses.ChannelJson.parse(json)).toEqual(json);
    expect(json).toMatchObject({
      role: 'provider',
      deposit: '1000',
      claimed: '100',
      unclaimed: '200',
      calls: 7,
      latestVoucher: { amount: '300', receivedAt: 1_000 },
    });
    expect(json.windows).toEqual([{ start: 60, calls: 7, amount: '300' }]);
  });

  test('a consumer sees the voucher signed here; nothing unclaimed once the signed amount is claimed', () => {
    const json = channelJson(rec, 'consumer', []);
    expect(ApiResponses.ChannelJson.parse(json)).toEqual(json);
    expect(json).toMatchObject({ role: 'consumer', unclaimed: '20', latestVoucher: { amount: '120', receivedAt: 2_000 } });
    expect(channelJson({ ...rec, claimed: 300n }, 'consumer', []).unclaimed).toBe('0');
  });

  test('a party with no voucher yet sees none; an outsider sees the provider side', () => {
    expect(channelJson({ ...rec, signedSignature: null, signedAmount: 0n }, 'consumer', []).latestVoucher).toBeNull();
    expect(channelJson(rec, null, []).latestVoucher?.amount).toBe('300');
    expect(channelJson(rec, 'both', []).latestVoucher?.amount).toBe('300');
  });
});

describe('answers of claims, closes, records and funds', () => {
  test('claimAllJson lists each transaction and every channel it claimed', () => {
    const json = claimAllJson([
      { sent: sent(1), channels: ['0x' + 'a'.repeat(64)] },
      { sent: sent(2), channels: ['0x' + 'b'.repeat(64), '0x' + 'c'.repeat(64)] },
    ]);
    expect(ApiResponses.ClaimAllResponse.parse(json)).toEqual(json);
    expect(json.channels).toEqual(['0x' + 'a'.repeat(64), '0x' + 'b'.repeat(64), '0x' + 'c'.repeat(64)]);
    expect(claimAllJson([])).toEqual({ transactions: [], channels: [] });
  });

  test('closeJson: a provider close reports claimed and refund; a consumer close the deadline', () => {
    const settled = accepted(300n, { claimed: 300n, state: 'settled' });
    const byProvider = closeJson({ by: 'provider', rec: settled, sent: sent(3) });
    expect(ApiResponses.CloseResponse.parse(byProvider)).toEqual(byProvider);
    expect(byProvider).toEqual({ state: 'settled', txHash: sent(3).hash, claimed: '300', refund: '700' });
    const closing = accepted(300n, { state: 'closing', closesAt: 9_000 });
    expect(closeJson({ by: 'consumer', rec: closing, sent: sent(4) })).toEqual({ state: 'closing', closesAt: 9_000, txHash: sent(4).hash });
    expect(closeJson({ by: 'consumer', rec: closing, sent: null })).toEqual({ state: 'closing', closesAt: 9_000, txHash: null });
  });

  test('recordJson: each result, and the state of each channel it named', () => {
    const rec = accepted(5n);
    const json = recordJson(
      [
        { channelId: rec.id, accepted: true, amount: 5n },
        { channelId: null, accepted: false, error: { code: 'MALFORMED_VOUCHER', message: 'bad' } },
      ],
      (id) => (id === rec.id ? rec : undefined),
    );
    expect(ApiResponses.RecordVouchersResponse.parse(json)).toEqual(json);
    expect(json.results).toEqual([
      { channelId: rec.id, accepted: true, amount: '5' },
      { channelId: null, accepted: false, error: { code: 'MALFORMED_VOUCHER', message: 'bad' } },
    ]);
    expect(json.channels).toEqual({ [rec.id]: { state: 'open', deposit: '1000', claimed: '0', closesAt: null } });
  });

  test('fundsJson writes every amount as a decimal string', () => {
    const json = fundsJson({
      name: 'provider',
      address: '0x00000000000000000000000000000000000000b2',
      balance: 10n ** 20n,
      asConsumer: { channels: 0, deposited: 0n, claimed: 0n, signed: 0n, refundable: 0n },
      asProvider: { channels: 2, claimed: 5n, unclaimed: 7n },
    });
    expect(ApiResponses.AccountFunds.parse(json)).toEqual(json);
    expect(json).toMatchObject({ balance: '100000000000000000000', asProvider: { channels: 2, claimed: '5', unclaimed: '7' } });
  });
});
