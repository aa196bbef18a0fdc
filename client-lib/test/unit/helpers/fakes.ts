import { randomBytes } from 'node:crypto';
import {
  API,
  IDEMPOTENCY_HEADER,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_SCHEME,
  PREPAY_HEADER,
  RECEIPT_HEADER,
  TICKET_HEADER,
  VOUCHER_HEADER,
  ZERO_ADDRESS,
  decodePrepay,
  decodeTicket,
  decodeVoucher,
  encodeReceipt,
  encodeTerms,
  encodeVoucher,
  type Address,
  type ApiName,
  type PaymentTerms,
  type PrepayRequest,
  type Ticket,
  type Voucher,
} from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, addressOfPrivateKey, hexToBuffer } from '@chanpay/protocol/node';
import { freePort } from '@chanpay/devkit';
import { PaymentConsumer, PaymentServerClient, type PaymentConsumerOptions } from '../../../src';

/**
 * The two seams of a consumer, filled with canned answers so that its decisions can be tested without a chain:
 * its own payment server (a `fetch` for `PaymentServerClient` that answers the API's endpoints, each answer
 * checked against the API table's response schema) and the provider (the consumer's `fetch` option).
 */

export const CHAIN_ID = 1337n;
export const PRICE = 1_000n;

export function randomKey(): string {
  return '0x' + randomBytes(32).toString('hex');
}

function randomAddress(): Address {
  return ('0x' + randomBytes(20).toString('hex')) as Address;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A consumer's payment server: opens channels at once, tops them up, and (remote mode) signs vouchers. */
export interface FakePaymentServer {
  client: PaymentServerClient;
  /** The `fetch` behind `client`, for a client of one's own. */
  fetch: typeof fetch;
  contract: Address;
  consumer: Address;
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** Remote mode: the next signing requests are refused with this code (then it signs again). */
  refuseSigning: { code: 'CHANNEL_CLOSING' | 'CHANNEL_CLOSED'; times: number } | null;
}

export function fakePaymentServer(opts: { serverSignerKey?: string } = {}): FakePaymentServer {
  const contract = randomAddress();
  const consumer = randomAddress();
  const serverKey = hexToBuffer(opts.serverSignerKey ?? randomKey());
  const serverSigner = addressOfPrivateKey(serverKey);
  const voucherSigner = new VoucherSigner(new VoucherHasher({ chainId: CHAIN_ID, contract }), serverKey);
  const channels = new Map<string, { json: ReturnType<typeof channelJson>; signed: bigint }>();
  const fake: FakePaymentServer = {
    client: null as unknown as PaymentServerClient,
    fetch: null as unknown as typeof fetch,
    contract,
    consumer,
    requests: [],
    refuseSigning: null,
  };

  const answer = (name: ApiName, status: number, body: unknown) => json(status, API[name].response.parse(body));
  const channelJson = (
    id: string,
    body: { provider: string; deposit: string; token?: string; challengePeriod?: number; signer?: string },
  ) => ({
    id,
    terms: {
      consumer,
      provider: body.provider.toLowerCase(),
      signer: (body.signer ?? serverSigner).toLowerCase(),
      token: (body.token ?? ZERO_ADDRESS).toLowerCase(),
      challengePeriod: body.challengePeriod ?? 60,
      salt: '0x' + randomBytes(32).toString('hex'),
    },
    role: 'consumer' as const,
    state: 'open' as const,
    deposit: body.deposit,
    claimed: '0',
    closesAt: null,
    openedAtBlock: 1,
    latestVoucher: null,
    unclaimed: '0',
    calls: 0,
    windows: [],
  });

  const serve = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = (init?.body ? JSON.parse(String(init.body)) : {}) as {
      provider: string;
      deposit: string;
      token?: string;
      challengePeriod?: number;
      signer?: string;
      amount?: string;
      price?: string;
    };
    fake.requests.push(`${method} ${url.pathname}`);
    const [, first, id, action] = url.pathname.split('/');
    if (method === 'GET' && url.pathname === '/config') {
      return answer('config', 200, {
        chainId: CHAIN_ID.toString(),
        contract,
        accounts: [{ name: 'consumer', address: consumer, signer: serverSigner }],
        defaults: { challengePeriod: 60, minChallengePeriod: 2, minDeposit: '0', acceptedTokens: [ZERO_ADDRESS] },
        claimPolicy: { thresholdWei: '0', intervalSeconds: 0 },
        statsWindowSeconds: 60,
      });
    }
    if (first !== 'channels') return json(404, { error: { code: 'NOT_FOUND', message: url.pathname } });
    if (method === 'GET' && !id) return answer('listChannels', 200, { channels: [] });
    if (method === 'POST' && !id) {
      const channel = channelJson('0x' + randomBytes(32).toString('hex'), body);
      channels.set(channel.id, { json: channel, signed: 0n });
      return answer('openChannel', 201, { channel });
    }
    const known = id ? channels.get(id) : undefined;
    if (!known) return json(404, { error: { code: 'UNKNOWN_CHANNEL', message: `no channel ${id}` } });
    if (method === 'POST' && action === 'topup') {
      known.json = { ...known.json, deposit: (BigInt(known.json.deposit) + BigInt(body.amount!)).toString() };
      return answer('topUp', 200, { channel: known.json, txHash: '0x' + randomBytes(32).toString('hex') });
    }
    if (method === 'POST' && action === 'vouchers') {
      if (fake.refuseSigning && fake.refuseSigning.times > 0) {
        fake.refuseSigning.times--;
        return json(409, { error: { code: fake.refuseSigning.code, message: 'the channel is closing' } });
      }
      known.signed += BigInt(body.price!);
      const header = encodeVoucher(voucherSigner.sign(known.json.id, known.signed));
      const v = {
        channelId: known.json.id,
        amount: known.signed.toString(),
        signature: header.split('.')[5]!,
        chainId: CHAIN_ID.toString(),
        contract,
        header,
      };
      return answer('signVoucher', 201, { voucher: v, header });
    }
    return json(404, { error: { code: 'NOT_FOUND', message: url.pathname } });
  };
  fake.fetch = serve as typeof fetch;
  fake.client = new PaymentServerClient({ url: 'http://127.0.0.1:9', token: 'unit-test-token-000001', fetch: fake.fetch, retries: 0 });
  return fake;
}

/** What the fake provider saw of one attempt. */
export interface SeenAttempt {
  voucher: Voucher | null;
  voucherHeader: string | null;
  prepay: PrepayRequest | null;
  ticket: Ticket | null;
  key: string | null;
  path: string;
}

export type AttemptKind = 'unpaid' | 'voucher' | 'block' | 'ticket';

export function kindOf(a: SeenAttempt): AttemptKind {
  if (a.ticket) return 'ticket';
  if (a.voucher) return a.prepay ? 'block' : 'voucher';
  return 'unpaid';
}

/**
 * A provider's answer to one attempt. `refuse-connection` fails the request before it leaves the process, as a
 * provider that is down does (a real connection to a port nothing listens on).
 */
export type ProviderAnswerSpec = Response | 'refuse-connection';

export interface FakeProvider {
  terms: PaymentTerms;
  send: typeof fetch;
  attempts: SeenAttempt[];
  /** Decides each answer; the default is `answers.honest`. */
  script: (attempt: SeenAttempt, provider: FakeProvider) => ProviderAnswerSpec | Promise<ProviderAnswerSpec>;
}

export function fakeProvider(server: FakePaymentServer, opts: { price?: bigint; maxPrepayCalls?: number } = {}): FakeProvider {
  const terms: PaymentTerms = {
    scheme: PAYMENT_SCHEME,
    price: (opts.price ?? PRICE).toString(),
    provider: randomAddress(),
    contract: server.contract,
    chainId: CHAIN_ID.toString(),
    token: ZERO_ADDRESS,
    minDeposit: '0',
    minChallengePeriod: 2,
    ...(opts.maxPrepayCalls ? { prepay: { maxCalls: opts.maxPrepayCalls } } : {}),
  };
  const provider: FakeProvider = {
    terms,
    attempts: [],
    script: (a, p) => answers.honest(a, p),
    send: (async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      const voucherHeader = headers.get(VOUCHER_HEADER);
      const decoded = voucherHeader ? decodeVoucher(voucherHeader) : null;
      const prepay = headers.get(PREPAY_HEADER);
      const ticket = headers.get(TICKET_HEADER);
      const attempt: SeenAttempt = {
        voucher: decoded?.ok ? decoded.voucher : null,
        voucherHeader,
        prepay: prepay ? decodePrepay(prepay) : null,
        ticket: ticket ? decodeTicket(ticket) : null,
        key: headers.get(IDEMPOTENCY_HEADER),
        path: new URL(String(input)).pathname,
      };
      provider.attempts.push(attempt);
      const spec = await provider.script(attempt, provider);
      // A port that was free a moment ago: nothing listens there, so the connection is refused.
      if (spec === 'refuse-connection') return fetch(`http://127.0.0.1:${await freePort()}/`, { signal: init?.signal ?? null });
      return spec;
    }) as typeof fetch,
  };
  return provider;
}

/** Canned answers of a provider. */
export const answers = {
  /** Serves every payment at the terms' price, asks for one when there is none. */
  honest(a: SeenAttempt, p: FakeProvider): Response {
    return a.voucher || a.ticket ? answers.served(a, BigInt(p.terms.price)) : answers.paymentRequired(p.terms);
  },
  paymentRequired(terms: PaymentTerms, reason?: PaymentTerms['reason'], extra: Partial<PaymentTerms> = {}): Response {
    const body: PaymentTerms = { ...terms, ...extra, ...(reason ? { reason } : {}) };
    return new Response(JSON.stringify(body), {
      status: 402,
      headers: { [PAYMENT_REQUIRED_HEADER]: encodeTerms(body), 'content-type': 'application/json' },
    });
  },
  refused(p: FakeProvider, code: string, extra: Partial<PaymentTerms> = {}): Response {
    return answers.paymentRequired(p.terms, { code, message: `refused: ${code}` }, extra);
  },
  served(a: SeenAttempt, price: bigint, status = 200): Response {
    const receipt = a.ticket
      ? { channelId: a.ticket.channelId, amount: a.ticket.blockAmount, price }
      : { channelId: a.voucher!.channelId, amount: a.voucher!.amount, price };
    return new Response(JSON.stringify({ ok: true }), {
      status,
      headers: { [RECEIPT_HEADER]: encodeReceipt(receipt), 'content-type': 'application/json' },
    });
  },
  /** 503 PAYMENT_SERVER_UNAVAILABLE; `accepted`: the provider took the voucher and stores it later. */
  notStored(accepted = false): Response {
    return json(503, {
      error: {
        code: 'PAYMENT_SERVER_UNAVAILABLE',
        message: 'the provider cannot use its payment server',
        ...(accepted ? { details: { accepted: { amount: '1', price: '1' } } } : {}),
      },
    });
  },
  error(status: number, code = 'INTERNAL'): Response {
    return json(status, { error: { code, message: `failed with ${status}` } });
  },
};

/** A started consumer paying `provider` through `server`, local mode unless told otherwise. */
export async function startConsumer(
  server: FakePaymentServer,
  provider: FakeProvider,
  opts: Partial<PaymentConsumerOptions> = {},
): Promise<PaymentConsumer> {
  const consumer = new PaymentConsumer({
    mode: 'local',
    paymentServer: server.client,
    voucherKey: randomKey(),
    deposit: 1_000_000n,
    challengePeriod: 60,
    fetch: provider.send,
    ...opts,
  });
  await consumer.start();
  return consumer;
}

export function url(path = '/paid'): string {
  return `http://127.0.0.1:9${path}`;
}
