/**
 * Starts the naive network (see naive-service.ts): its own chain process, random-number, persistence and
 * public, each a process of its own, the consumer funded on the chain.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { freePort } from '@chanpay/devkit';
import { spawnTs, stopChild, waitHealthy, type NetworkProcess } from '../network';

export interface NaiveNetwork {
  urls: { chain: string; public: string };
  processes: NetworkProcess[];
  addresses: { public: string; randomNumber: string; persistence: string };
  stop(): Promise<void>;
}

export async function startNaiveNetwork(opts: { dataDir: string; verbose?: boolean; env?: Record<string, string> }): Promise<NaiveNetwork> {
  const verbose = opts.verbose ?? false;
  rmSync(opts.dataDir, { recursive: true, force: true });
  mkdirSync(opts.dataDir, { recursive: true });
  const consumer = Wallet.createRandom();
  const payees = { randomNumber: Wallet.createRandom().address.toLowerCase(), persistence: Wallet.createRandom().address.toLowerCase() };
  const ports = { chain: await freePort(), randomNumber: await freePort(), persistence: await freePort(), public: await freePort() };
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const processes: NetworkProcess[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await stopChild(p.child);
  };
  const launch = async (name: string, env: Record<string, string>, port: number) => {
    const p: NetworkProcess = {
      name,
      url: url(port),
      ...spawnTs(name, 'scripts/bench/naive-service.ts', { ...opts.env, ...env, PORT: String(port) }, verbose),
    };
    processes.push(p);
    await waitHealthy(p);
  };
  try {
    const chain: NetworkProcess = {
      name: 'chain',
      url: url(ports.chain),
      ...spawnTs(
        'chain',
        'scripts/chain.ts',
        { ...opts.env, CHAIN_PORT: String(ports.chain), CHAIN_PRIVATE_KEYS: consumer.privateKey },
        verbose,
      ),
    };
    processes.push(chain);
    const deadline = Date.now() + 60_000;
    while (!chain.output().includes('CHAIN_READY')) {
      if (chain.child.exitCode !== null || Date.now() > deadline) throw new Error(`chain did not start:\n${chain.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const rpc = { RPC_URL: chain.url, HOST: '127.0.0.1' };
    await launch('random-number', { ...rpc, NAIVE_ROLE: 'random-number', PAY_TO: payees.randomNumber }, ports.randomNumber);
    await launch(
      'persistence',
      { ...rpc, NAIVE_ROLE: 'persistence', PAY_TO: payees.persistence, DB_PATH: path.join(opts.dataDir, 'persistence.db') },
      ports.persistence,
    );
    await launch(
      'public',
      {
        ...rpc,
        NAIVE_ROLE: 'public',
        CONSUMER_KEY: consumer.privateKey,
        RANDOM_NUMBER_URL: url(ports.randomNumber),
        PERSISTENCE_URL: url(ports.persistence),
      },
      ports.public,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    urls: { chain: url(ports.chain), public: url(ports.public) },
    processes,
    addresses: { public: consumer.address.toLowerCase(), ...payees },
    stop,
  };
}
