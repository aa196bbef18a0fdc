/**
 * The chain of a topology: anvil with a block time, an external node whose accounts the builder funds from a
 * key in the environment, and the failures that must leave nothing running.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { freePort, startAnvil, type EmbeddedChain } from '@chanpay/devkit';
import { generate, startTopology, type RunningTopology, type TopologyInput } from '@chanpay/topology';
import { audit, sendRequests, settle } from './helpers/topology-audit';

jest.setTimeout(300_000);

const dataDir = () => path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-chains-')), 'net');

async function rpc(url: string, method: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: string }).result;
}

async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

test('chain:2 on anvil with a block every second: paid, settled, conserved', async () => {
  const input: TopologyInput = { ...generate('chain:2'), chain: { kind: 'anvil', blockTime: 1, chainId: 31337 } };
  const net = await startTopology(input, { freePorts: true, dataDir: dataDir(), claimIntervalSeconds: 0 });
  try {
    expect(Number(await rpc(net.urls.chain!, 'eth_chainId'))).toBe(31337);
    const book = await sendRequests(net, 3);
    expect(Object.fromEntries(book.calls)).toEqual({ 's0>s1': 3, 's1>s2': 3 });
    const { report, balanceProblems } = await audit(net, await settle(net));
    expect(report.problems).toEqual([]);
    expect(balanceProblems).toEqual([]);
    expect(report.providerPayouts).toBe(6n * 1_000_000_000n);
  } finally {
    await net.stop();
  }
});

describe('an external chain', () => {
  const funder = Wallet.createRandom();
  let node: EmbeddedChain;
  beforeAll(async () => {
    node = await startAnvil({ privateKeys: [funder.privateKey], chainId: 1337 });
  });
  afterAll(async () => {
    await node?.stop();
  });

  test('the builder funds every account from the key in CHAIN_FUNDER_KEY, then runs the diamond on it', async () => {
    const input: TopologyInput = { ...generate('diamond'), chain: { kind: 'external', url: node.rpcUrl, balanceEth: 2 } };
    process.env.CHAIN_FUNDER_KEY = funder.privateKey;
    let net: RunningTopology | undefined;
    try {
      net = await startTopology(input, { freePorts: true, dataDir: dataDir(), claimIntervalSeconds: 0 });
      expect(net.urls.chain).toBe(node.rpcUrl);
      expect(net.processes.map((p) => p.name)).not.toContain('chain');
      const book = await sendRequests(net, 2);
      expect(Object.fromEntries(book.calls)).toEqual({ 'front-a>shared': 2, 'front-b>shared': 2, 'shared>back': 4 });
      const { report } = await audit(net, await settle(net));
      expect(report.problems).toEqual([]);
      expect(report.providerPayouts + report.consumerRefunds).toBe(report.deposits);
    } finally {
      delete process.env.CHAIN_FUNDER_KEY;
      await net?.stop();
    }
    // The node stays up: it is not the builder's to stop.
    expect(Number(await rpc(node.rpcUrl, 'eth_chainId'))).toBe(1337);
  });

  test('without a funder key, or on the wrong chain id, it says so and starts nothing', async () => {
    const ports = { 'payment-server-1': await freePort() };
    const input: TopologyInput = { ...generate('diamond'), chain: { kind: 'external', url: node.rpcUrl } };
    await expect(startTopology(input, { ports, freePorts: true, dataDir: dataDir() })).rejects.toThrow(
      "chain: an external chain needs a funded key in CHAIN_FUNDER_KEY (0x + 64 hex) to fund the network's 4 accounts",
    );
    process.env.CHAIN_FUNDER_KEY = funder.privateKey;
    try {
      await expect(
        startTopology(
          { ...input, chain: { kind: 'external', url: node.rpcUrl, chainId: 5 } },
          { ports, freePorts: true, dataDir: dataDir() },
        ),
      ).rejects.toThrow(`chain.chainId: the topology says 5, the node at ${node.rpcUrl} is chain 1337`);
    } finally {
      delete process.env.CHAIN_FUNDER_KEY;
    }
    expect(await listening(ports['payment-server-1'])).toBe(false);
  });
});

test('a service that cannot start stops everything already started: chain, payment servers, the other services', async () => {
  // Holds the port (and drops whatever connects: the builder's health checks probe it).
  const taken: Server = createServer((socket) => socket.destroy());
  const busy = await new Promise<number>((resolve) =>
    taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)),
  );
  const ports = {
    chain: await freePort(),
    'payment-server-1': await freePort(),
    'payment-server-2': await freePort(),
    s0: await freePort(),
    s1: await freePort(),
    s2: busy,
  };
  try {
    await expect(startTopology('chain:2', { ports, dataDir: dataDir(), healthTimeoutMs: 30_000 })).rejects.toThrow(/s2 exited with code 1/);
    for (const name of ['chain', 'payment-server-1', 'payment-server-2', 's0', 's1'] as const)
      expect([name, await listening(ports[name])]).toEqual([name, false]);
  } finally {
    taken.close();
  }
});
