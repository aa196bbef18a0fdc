/**
 * The EIP-3009 test token of the x402 peer: the committed artifact is what its source compiles to, and on a real
 * chain it behaves as FiatToken v2 does for what x402's facilitator relies on (domain, authorization state,
 * single use of an authorization, the payee-only receive).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createWalletClient, http, parseSignature, type Hex } from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { compileToken, loadTokenArtifact, tokenSourceHash } from '../bench/peers/x402/token-artifact';
import { localPublicClient, localViemChain, startLocalChain, type LocalChain } from '../bench/peers/x402/chain';
import {
  deployToken,
  installMulticall3,
  mintToken,
  MULTICALL3_ADDRESS,
  tokenBalance,
  TOKEN_NAME,
  TOKEN_VERSION,
} from '../bench/peers/x402/token';

const ROOT = path.resolve(__dirname, '..', '..');

describe('X402TestToken artifact', () => {
  it('is up to date with its source and compiles to the committed bytecode', () => {
    const committed = loadTokenArtifact();
    expect(committed.sourceHash).toBe(tokenSourceHash());
    expect(compileToken().bytecode).toBe(committed.bytecode);
  }, 60_000);

  it('build-token.ts --check agrees, and --help and a bad option behave', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/peers/x402/build-token.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const check = run('--check');
    expect(check.status).toBe(0);
    expect(check.stdout).toMatch(/up to date/);
    expect(run('--help').stdout).toMatch(/--check/);
    const bad = run('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage:/);
  }, 120_000);
});

describe.each(['ganache', 'anvil'] as const)('X402TestToken on %s', (kind) => {
  let chain: LocalChain;
  let token: Hex;
  const payer = privateKeyToAccount(generatePrivateKey());
  const payee = privateKeyToAccount(generatePrivateKey());

  beforeAll(async () => {
    chain = await startLocalChain({ kind });
    token = await deployToken(chain, chain.fundedKeys[0]!);
    await mintToken(chain, chain.fundedKeys[0]!, token, payer.address, 1_000n);
  }, 60_000);

  afterAll(async () => {
    await chain?.stop();
  });

  const authorization = (nonce: Hex, value = 10n) => ({
    domain: { name: TOKEN_NAME, version: TOKEN_VERSION, chainId: chain.chainId, verifyingContract: token },
    types: {
      ReceiveWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'ReceiveWithAuthorization' as const,
    message: {
      from: payer.address,
      to: payee.address,
      value,
      validAfter: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) + 600),
      nonce,
    },
  });

  it('has 6 decimals, version 2 and an EIP-712 domain of name, version, chain id and address', async () => {
    const client = localPublicClient(chain.chainId, chain.rpcUrl);
    const abi = loadTokenArtifact().abi as never;
    expect(await client.readContract({ address: token, abi, functionName: 'decimals' })).toBe(6);
    expect(await client.readContract({ address: token, abi, functionName: 'version' })).toBe('2');
    const domain = (await client.readContract({ address: token, abi, functionName: 'eip712Domain' })) as unknown[];
    expect(domain.slice(1, 5)).toEqual([TOKEN_NAME, TOKEN_VERSION, BigInt(chain.chainId), token]);
  });

  it('lets only the payee use a receive authorization, once', async () => {
    const fundedPayee = privateKeyToAccount(chain.fundedKeys[1]!);
    const client = localPublicClient(chain.chainId, chain.rpcUrl);
    const abi = loadTokenArtifact().abi as never;
    const nonce = `0x${'ab'.repeat(32)}` as Hex;
    const typed = { ...authorization(nonce), message: { ...authorization(nonce).message, to: fundedPayee.address } };
    const { v, r, s } = parseSignature(await payer.signTypedData(typed));
    const m = typed.message;
    const args = [m.from, m.to, m.value, m.validAfter, m.validBefore, m.nonce, Number(v), r, s] as const;
    const asPayee = createWalletClient({
      account: fundedPayee,
      chain: localViemChain(chain.chainId, chain.rpcUrl),
      transport: http(chain.rpcUrl),
    });
    const asOther = createWalletClient({
      account: privateKeyToAccount(chain.fundedKeys[0]!),
      chain: localViemChain(chain.chainId, chain.rpcUrl),
      transport: http(chain.rpcUrl),
    });
    await expect(asOther.writeContract({ address: token, abi, functionName: 'receiveWithAuthorization', args } as never)).rejects.toThrow(
      /caller must be the payee/,
    );
    expect(await client.readContract({ address: token, abi, functionName: 'authorizationState', args: [payer.address, nonce] })).toBe(
      false,
    );
    const hash = await asPayee.writeContract({ address: token, abi, functionName: 'receiveWithAuthorization', args } as never);
    expect((await client.waitForTransactionReceipt({ hash })).status).toBe('success');
    expect(await client.readContract({ address: token, abi, functionName: 'authorizationState', args: [payer.address, nonce] })).toBe(true);
    expect(await tokenBalance(client, token, fundedPayee.address)).toBe(10n);
    await expect(asPayee.writeContract({ address: token, abi, functionName: 'receiveWithAuthorization', args } as never)).rejects.toThrow(
      /authorization is used or canceled/,
    );
  });

  it('puts Multicall3 at its canonical address', async () => {
    await installMulticall3(chain, chain.fundedKeys[0]!);
    const code = await localPublicClient(chain.chainId, chain.rpcUrl).getCode({ address: MULTICALL3_ADDRESS });
    expect((code ?? '0x').length).toBeGreaterThan(1000);
  });
});
