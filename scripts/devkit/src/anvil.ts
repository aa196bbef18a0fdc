import { spawn, type ChildProcess } from 'node:child_process';
import { Wallet, randomBytes, hexlify } from 'ethers';
import type { EmbeddedChain, EmbeddedChainOptions } from './ganache';
import { freePort } from './ports';

/** Path of the anvil binary that the npm package `@foundry-rs/anvil` ships for this platform. */
export function anvilBinary(): string {
  return require.resolve('@foundry-rs/anvil-linux-amd64/bin/anvil');
}

/**
 * Starts anvil (a second, independent node implementation) on 127.0.0.1 and funds the given or fresh keys
 * with `anvil_setBalance`. Anvil runs cancun by default; our shanghai bytecode runs there unchanged.
 */
export async function startAnvil(opts: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || (await freePort(host));
  const chainId = opts.chainId ?? 31337;
  const child: ChildProcess = spawn(
    anvilBinary(),
    [
      '--host',
      host,
      '--port',
      String(port),
      '--chain-id',
      String(chainId),
      '--accounts',
      '0',
      '--silent',
      ...(opts.blockTime ? ['--block-time', String(opts.blockTime)] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const rpcUrl = `http://${host}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited: ${stderr}`);
    try {
      const res = await rpc(rpcUrl, 'eth_chainId', []);
      if (res) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const keys = opts.privateKeys ?? Array.from({ length: opts.accounts ?? 10 }, () => hexlify(randomBytes(32)));
  const balance = '0x' + (BigInt(Math.round((opts.balanceEth ?? 1000) * 1e6)) * 10n ** 12n).toString(16);
  const accounts = keys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() }));
  for (const a of accounts) await rpc(rpcUrl, 'anvil_setBalance', [a.address, balance]);
  return {
    rpcUrl,
    chainId: BigInt(chainId),
    accounts,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}
