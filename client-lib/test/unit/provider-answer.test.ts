import { freePort } from '@chanpay/devkit';
import {
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_SCHEME,
  RECEIPT_HEADER,
  ZERO_ADDRESS,
  encodeReceipt,
  encodeTerms,
  type PaymentTerms,
  type Receipt,
} from '@chanpay/protocol';
import {
  classifyAnswer,
  classifySendError,
  mayHoldPayment,
  notTaken,
  readError,
  readTerms,
  receiptFor,
  receiptOf,
  type ProviderAnswer,
} from '../../src/consumer/provider-answer';

/** How the consumer reads and classifies a provider's answer: pure functions and real `Response` objects. */

const CHANNEL = '0x' + 'ab'.repeat(32);
const OTHER = '0x' + 'cd'.repeat(32);
const receipt: Receipt = { channelId: CHANNEL, amount: 5_000n, price: 1_000n };
const terms = {
  scheme: PAYMENT_SCHEME,
  price: '1000',
  provider: ('0x' + '11'.repeat(20)) as PaymentTerms['provider'],
  contract: ('0x' + '22'.repeat(20)) as PaymentTerms['contract'],
  chainId: '1337',
  token: ZERO_ADDRESS,
  minDeposit: '0',
  minChallengePeriod: 2,
} satisfies PaymentTerms;
const unavailable = (details?: Record<string, unknown>) => ({ code: 'PAYMENT_SERVER_UNAVAILABLE', ...(details ? { details } : {}) });

describe('classifyAnswer', () => {
  // Each: the answer (status, receipt of the paying channel, 402 terms, 503 error), what it is, whether the
  // provider may hold the payment (a block it opened is kept), whether it provably did not take it.
  const cases: [string, Parameters<typeof classifyAnswer>, ProviderAnswer, boolean, boolean][] = [
    ['a receipt: served', [200, receipt, null, null], { kind: 'served', receipt }, true, false],
    ['a receipt on a 4xx the handler chose: served (charged)', [404, receipt, null, null], { kind: 'served', receipt }, true, false],
    ['402 with terms: refused', [402, null, terms, null], { kind: 'refused', terms }, false, false],
    ['402 without terms', [402, null, null, null], { kind: 'terms-unreadable' }, false, false],
    [
      '503 PAYMENT_SERVER_UNAVAILABLE',
      [503, null, null, unavailable()],
      { kind: 'not-stored', accepted: false, receipt: null },
      false,
      true,
    ],
    [
      '503 PAYMENT_SERVER_UNAVAILABLE, accepted',
      [503, null, null, unavailable({ accepted: { amount: '1' } })],
      { kind: 'not-stored', accepted: true, receipt: null },
      false,
      false,
    ],
    [
      '503 PAYMENT_SERVER_UNAVAILABLE with a receipt',
      [503, receipt, null, unavailable()],
      { kind: 'not-stored', accepted: false, receipt },
      true,
      false,
    ],
    ['503 for another reason', [503, null, null, { code: 'UPSTREAM_UNAVAILABLE' }], { kind: 'not-charged' }, false, false],
    ['500 without a receipt', [500, null, null, null], { kind: 'server-error' }, true, false],
    ['502 without a receipt', [502, null, null, null], { kind: 'server-error' }, true, false],
    ['200 without a receipt (a free route)', [200, null, null, null], { kind: 'not-charged' }, false, false],
    ['400 without a receipt', [400, null, null, null], { kind: 'not-charged' }, false, false],
  ];
  test.each(cases)('%s', (_what, args, expected, mayHold, notTakenAtAll) => {
    const answer = classifyAnswer(...args);
    expect(answer).toEqual(expected);
    expect([mayHoldPayment(answer), notTaken(answer)]).toEqual([mayHold, notTakenAtAll]);
  });
});

describe('reading an answer', () => {
  test('the receipt counts only for the paying channel, but receiptOf gives the caller what came', () => {
    const res = new Response('ok', { headers: { [RECEIPT_HEADER]: encodeReceipt(receipt) } });
    expect(receiptFor(res, OTHER)).toBeNull();
    expect(receiptOf(res)).toEqual(receipt);
    expect(receiptFor(res, CHANNEL)).toEqual(receipt);
    expect(receiptOf(new Response('ok', { headers: { [RECEIPT_HEADER]: 'not a receipt' } }))).toBeNull();
  });

  test('terms from the header (the body is read to the end), else from the body, else none', async () => {
    const withHeader = new Response(JSON.stringify({ other: true }), {
      status: 402,
      headers: { [PAYMENT_REQUIRED_HEADER]: encodeTerms(terms) },
    });
    expect(await readTerms(withHeader)).toEqual(terms);
    expect(withHeader.bodyUsed).toBe(true);
    expect(await readTerms(new Response(JSON.stringify(terms), { status: 402 }))).toEqual(terms);
    expect(await readTerms(new Response(JSON.stringify({ ...terms, scheme: 'other' }), { status: 402 }))).toBeNull();
    expect(await readTerms(new Response('pay me', { status: 402 }))).toBeNull();
  });

  test('the error of a 503 is read from a copy: the caller still gets the whole body', async () => {
    const body = JSON.stringify({ error: { code: 'PAYMENT_SERVER_UNAVAILABLE', message: 'down', details: { accepted: { amount: '1' } } } });
    const res = new Response(body, { status: 503 });
    expect(await readError(res)).toEqual({ code: 'PAYMENT_SERVER_UNAVAILABLE', details: { accepted: { amount: '1' } } });
    expect(await res.text()).toBe(body);
    expect(await readError(new Response('<html>busy</html>', { status: 503 }))).toBeNull();
    expect(await readError(new Response(JSON.stringify({ error: { code: 7 } }), { status: 503 }))).toBeNull();
  });
});

describe('classifySendError', () => {
  test('a refused connection never left the process; an aborted request may have reached the provider', async () => {
    const port = await freePort();
    const refused = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(classifySendError(refused)).toEqual({ kind: 'never-sent' });
    const aborted = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(classifySendError(aborted)).toEqual({ kind: 'no-answer' });
    expect(classifySendError(new Error('socket hang up'))).toEqual({ kind: 'no-answer' });
  });
});
