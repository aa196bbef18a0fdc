/**
 * The thesis's rejected first design, for the benchmark only (never part of the libraries): every paid call is
 * paid by its own on-chain ETH transfer. The same three services and the same `/action` code as the example
 * network (their apps with payment off), with this in front:
 * - consumer (public): per hop, signs an ETH transfer of the price to the provider, sends it, waits for its
 *   receipt, then calls the provider with the transaction hash in `x-payment-tx`;
 * - providers: fetch the receipt and the transaction, check status, recipient, value and that the hash was never
 *   used before, and only then serve the call.
 * Environment: NAIVE_ROLE (public | random-number | persistence), PORT, RPC_URL; providers PAY_TO (their
 * address), persistence DB_PATH; public CONSUMER_KEY, RANDOM_NUMBER_URL, PERSISTENCE_URL.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Rpc } from '@chanpay/payment-server';
import { Wallet } from 'ethers';
import { gwei, toWei } from '@chanpay/protocol';
import { listen, type PaymentConsumer } from '@chanpay/client-lib';
import { createRandomNumberApp } from '@chanpay/service-random-number';
import { createPersistenceApp, NumberStore } from '@chanpay/service-persistence';
import { createPublicApp } from '@chanpay/service-public';

export const PAYMENT_TX_HEADER = 'x-payment-tx';
const HASH_RE = /^0x[0-9a-f]{64}$/;
const RECEIPT_WAIT_MS = 30_000;

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const clients = new Map<string, Rpc>();
/** One JSON-RPC client per node URL: the payment server's (10 s timeout, typed errors). */
function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  let client = clients.get(url);
  if (!client) clients.set(url, (client = new Rpc(url)));
  return client.call<T>(method, params);
}

interface Receipt {
  status: string;
}

/** Polls for the receipt (ganache mines at once; a public chain would take a block, 12 s, or more). */
async function waitReceipt(rpcUrl: string, hash: string): Promise<Receipt> {
  const deadline = Date.now() + RECEIPT_WAIT_MS;
  for (;;) {
    const r = await rpc<Receipt | null>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} after ${RECEIPT_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Lets a paid route through only with the hash of a fresh, successful transfer of at least its price to `payTo`. */
function naiveProvider(
  inner: (req: IncomingMessage, res: ServerResponse) => void,
  prices: Record<string, bigint>,
  payTo: string,
  rpcUrl: string,
) {
  const used = new Set<string>();
  return async (req: IncomingMessage, res: ServerResponse) => {
    const price = prices[(req.url ?? '/').split('?')[0]!];
    if (price === undefined) return inner(req, res);
    const hash = String(req.headers[PAYMENT_TX_HEADER] ?? '').toLowerCase();
    if (!hash) return json(res, 402, { price: price.toString(), payTo });
    if (!HASH_RE.test(hash))
      return json(res, 400, { error: { code: 'MALFORMED_TX_HASH', message: 'x-payment-tx must be a transaction hash' } });
    // Marked before any await, so two concurrent calls with the same transaction cannot both pass.
    if (used.has(hash)) return json(res, 409, { error: { code: 'TX_REUSED', message: 'this transaction paid for another call' } });
    used.add(hash);
    try {
      const receipt = await waitReceipt(rpcUrl, hash);
      const tx = await rpc<{ to: string | null; value: string } | null>(rpcUrl, 'eth_getTransactionByHash', [hash]);
      if (receipt.status !== '0x1' || !tx)
        return json(res, 402, { error: { code: 'TX_FAILED', message: 'the transaction failed' }, price: price.toString(), payTo });
      if (tx.to?.toLowerCase() !== payTo)
        return json(res, 402, {
          error: { code: 'WRONG_RECIPIENT', message: 'the transaction pays someone else' },
          price: price.toString(),
          payTo,
        });
      if (BigInt(tx.value) < price)
        return json(res, 402, { error: { code: 'UNDERPAID', message: `the call costs ${price} wei` }, price: price.toString(), payTo });
    } catch (e) {
      return json(res, 503, { error: { code: 'CHAIN_UNAVAILABLE', message: (e as Error).message } });
    }
    inner(req, res);
  };
}

/** The consumer's side: learns price and recipient from the first 402 of a route, then pays each call on chain. */
function naivePayer(rpcUrl: string, key: string) {
  const wallet = new Wallet(key);
  const terms = new Map<string, { price: bigint; payTo: string }>();
  let setup: Promise<{ chainId: bigint; gasPrice: bigint }> | null = null;
  let nonce: number | null = null;
  let nonceSync: Promise<number> | null = null;

  const nextNonce = async (): Promise<number> => {
    if (nonce === null) {
      nonceSync ??= rpc<string>(rpcUrl, 'eth_getTransactionCount', [wallet.address, 'pending']).then(Number);
      const n = await nonceSync;
      nonce ??= n;
    }
    return nonce++;
  };

  /**
   * Transfers from one account are ordered by nonce, and ganache (mining eagerly) answers a send only once its
   * transaction is mined, so a transfer that overtook its predecessor would stall: sends go one at a time.
   */
  let sending: Promise<unknown> = Promise.resolve();
  const send = (to: string, value: bigint): Promise<string> => {
    const job = sending.then(async () => {
      setup ??= Promise.all([rpc<string>(rpcUrl, 'eth_chainId', []), rpc<string>(rpcUrl, 'eth_gasPrice', [])]).then(([c, g]) => ({
        chainId: BigInt(c),
        gasPrice: BigInt(g),
      }));
      const { chainId, gasPrice } = await setup;
      const raw = await wallet.signTransaction({ type: 0, chainId, nonce: await nextNonce(), to, value, gasLimit: 21_000n, gasPrice });
      try {
        return await rpc<string>(rpcUrl, 'eth_sendRawTransaction', [raw]);
      } catch (e) {
        // Re-read the nonce after a failed send so that later transfers do not queue behind a gap.
        nonce = null;
        nonceSync = null;
        throw e;
      }
    });
    sending = job.catch(() => undefined);
    return job;
  };

  const pay = async (to: string, value: bigint): Promise<string> => {
    const hash = await send(to, value);
    const receipt = await waitReceipt(rpcUrl, hash);
    if (receipt.status !== '0x1') throw new Error(`payment ${hash} failed`);
    return hash;
  };

  const payingFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const route = url.origin + url.pathname;
    let t = terms.get(route);
    if (!t) {
      const first = await fetch(url, init);
      if (first.status !== 402) return first;
      const body = (await first.json()) as { price: string; payTo: string };
      t = { price: BigInt(body.price), payTo: body.payTo.toLowerCase() };
      terms.set(route, t);
    }
    const headers = new Headers(init.headers);
    headers.set(PAYMENT_TX_HEADER, await pay(t.payTo, t.price));
    return fetch(url, { ...init, headers });
  };

  // Just what the public app uses of a consumer; this is not a PaymentConsumer and not part of any library.
  return {
    mode: 'naive',
    fetch: payingFetch,
    channels: () => [],
    open: () => Promise.reject(new Error('the naive design has no channels')),
    closeAll: async () => [],
  } as unknown as PaymentConsumer;
}

async function main(): Promise<void> {
  const role = need('NAIVE_ROLE');
  const port = Number(need('PORT'));
  const rpcUrl = need('RPC_URL');
  if (role === 'public') {
    const consumer = naivePayer(rpcUrl, need('CONSUMER_KEY'));
    const app = createPublicApp(
      { payment: { mode: 'off' }, randomNumberUrl: need('RANDOM_NUMBER_URL'), persistenceUrl: need('PERSISTENCE_URL') },
      { consumer, send: (url, init) => consumer.fetch(url, init) },
    );
    await listen(app, port, '127.0.0.1');
    return;
  }
  const payTo = need('PAY_TO').toLowerCase();
  let inner: http.RequestListener;
  let prices: Record<string, bigint>;
  if (role === 'random-number') {
    inner = createRandomNumberApp(null).callback();
    prices = { '/randomNumber': toWei(gwei(1)) };
  } else if (role === 'persistence') {
    inner = createPersistenceApp(new NumberStore(need('DB_PATH')), null).callback();
    prices = { '/save': toWei(gwei(2)) };
  } else {
    throw new Error(`NAIVE_ROLE must be public, random-number or persistence, not ${role}`);
  }
  const handler = naiveProvider(inner, prices, payTo, rpcUrl);
  const server = http.createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
main().catch((e: unknown) => {
  console.error(`naive ${process.env.NAIVE_ROLE} failed to start: ${(e as Error).message}`);
  process.exit(1);
});
