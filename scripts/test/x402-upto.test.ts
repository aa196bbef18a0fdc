/**
 * Why x402's `upto` scheme is not one of the peer's modes: it settles through Permit2 and x402UptoPermit2Proxy at
 * fixed addresses, and no installed package ships their bytecode, so on our chain neither exists. The SDK's own
 * client, facilitator and chain are used here; the books show that no payment can move.
 */
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { PERMIT2_ADDRESS, toClientEvmSigner, x402UptoPermit2ProxyAddress } from '@x402/evm';
import { UptoEvmScheme } from '@x402/evm/upto/client';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { caip2, localPublicClient, startLocalChain, type LocalChain } from '../bench/peers/x402/chain';
import { createLocalFacilitator } from '../bench/peers/x402/facilitator';
import { deployToken, installMulticall3, mintToken, tokenBalance, TOKEN_NAME, TOKEN_VERSION } from '../bench/peers/x402/token';

describe('x402 upto on our local chain (anvil)', () => {
  let chain: LocalChain;

  beforeAll(async () => {
    chain = await startLocalChain({ kind: 'anvil' });
  }, 60_000);

  afterAll(async () => {
    await chain?.stop();
  });

  it('has neither Permit2 nor the upto proxy, so the SDK "settles" a payment that moves no token', async () => {
    const client = localPublicClient(chain.chainId, chain.rpcUrl);
    expect(await client.getCode({ address: PERMIT2_ADDRESS })).toBeUndefined();
    expect(await client.getCode({ address: x402UptoPermit2ProxyAddress })).toBeUndefined();

    const token = await deployToken(chain, chain.fundedKeys[0]!);
    await installMulticall3(chain, chain.fundedKeys[0]!);
    const payer = privateKeyToAccount(generatePrivateKey());
    const payTo = privateKeyToAccount(generatePrivateKey()).address;
    await mintToken(chain, chain.fundedKeys[0]!, token, payer.address, 10_000n);
    const local = createLocalFacilitator({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: chain.fundedKeys[1]!, upto: true });
    const requirements: PaymentRequirements = {
      scheme: 'upto',
      network: caip2(chain.chainId),
      amount: '1000',
      asset: token,
      payTo,
      maxTimeoutSeconds: 300,
      extra: { name: TOKEN_NAME, version: TOKEN_VERSION, facilitatorAddress: local.address },
    };
    const signer = toClientEvmSigner(payer, { readContract: (args) => client.readContract(args as never) });
    const created = await new UptoEvmScheme(signer).createPaymentPayload(2, requirements);
    const payload = { ...created, accepted: requirements } as PaymentPayload;

    const verified = await local.facilitator.verify(payload, requirements);
    const settled = await local.facilitator.settle(payload, requirements);
    // What @x402/evm 2.27.0 answers: valid and settled (a call to an address without code succeeds) ...
    expect(verified.isValid).toBe(true);
    expect(settled.success).toBe(true);
    // ... while nothing moved: an upto figure measured here would be a payment that never happened.
    expect(await tokenBalance(client, token, payTo)).toBe(0n);
    expect(await tokenBalance(client, token, payer.address)).toBe(10_000n);
  }, 60_000);
});
