/**
 * One-shot for the Geth variant: geth --dev funds only its own dev account (unlocked, eth_accounts[0]); this
 * sends ether from it to the address of every key in CHAIN_KEYS that has less than FUND_ETH, so the same
 * .env works on ganache and on Geth. Idempotent.
 *   RPC_URL, CHAIN_KEYS (comma-separated 0x keys), FUND_ETH (default 1000)
 */
import { Wallet } from 'ethers';

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const url = process.env.RPC_URL;
  if (!url) throw new Error('RPC_URL is not set');
  const keys = (process.env.CHAIN_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) throw new Error('CHAIN_KEYS is empty');
  const fundEth = process.env.FUND_ETH || '1000';
  if (!/^\d{1,9}$/.test(fundEth)) throw new Error(`FUND_ETH must be a whole number of ether, got "${fundEth}"`);
  const amount = BigInt(fundEth) * 10n ** 18n;
  const [dev] = await rpc<string[]>(url, 'eth_accounts');
  if (!dev) throw new Error('the node has no unlocked account to fund from (is it geth --dev?)');
  const pending: { to: string; hash: string }[] = [];
  for (const key of keys) {
    const to = new Wallet(key).address;
    const balance = BigInt(await rpc<string>(url, 'eth_getBalance', [to, 'latest']));
    if (balance >= amount) continue;
    const hash = await rpc<string>(url, 'eth_sendTransaction', [{ from: dev, to, value: '0x' + (amount - balance).toString(16) }]);
    pending.push({ to, hash });
  }
  const deadline = Date.now() + 120_000;
  for (const p of pending) {
    for (;;) {
      const receipt = await rpc<{ status: string } | null>(url, 'eth_getTransactionReceipt', [p.hash]);
      if (receipt) {
        if (receipt.status !== '0x1') throw new Error(`funding ${p.to} failed (${p.hash})`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`funding ${p.to} not mined within 120 s`);
      await sleep(500);
    }
  }
  console.log(
    JSON.stringify({
      msg: 'dev accounts funded',
      from: dev,
      funded: pending.map((p) => p.to),
      alreadyFunded: keys.length - pending.length,
    }),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`funding failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
