/**
 * The paying client of the x402 peer: @x402/fetch's `wrapFetchWithPayment` over an `x402Client` with the `exact`
 * EVM client scheme (@x402/evm/exact/client) signing with a viem account. On a 402 it signs an EIP-3009
 * authorization for the offered requirements and retries with PAYMENT-SIGNATURE: two requests per paid call, as
 * x402 clients make them. It needs no ether and no RPC: the facilitator pays the gas.
 */
import { privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from 'viem';
import { wrapFetchWithPayment, x402Client, x402HTTPClient } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';

export interface PayingClientOptions {
  privateKey: Hex;
  network: `eip155:${number}`;
  token: Address;
  /** The most one call may cost, in token units: x402's spend control refuses dearer offers. */
  maxAmountPerPayment: bigint;
}

export type PayingFetch = (input: string | URL | Request | URL, init?: RequestInit) => Promise<Response>;

/** The SDK's client with our chain's scheme and our token allowed (x402 allows only its known assets by default). */
export function createX402Client(opts: PayingClientOptions): x402Client {
  const account = privateKeyToAccount(opts.privateKey);
  return new x402Client().register(opts.network, new ExactEvmScheme(account)).setSpendControls({
    allowedAssets: [{ network: opts.network, asset: opts.token, maxAmountPerPayment: opts.maxAmountPerPayment.toString() }],
  });
}

export function createPayingFetch(opts: PayingClientOptions): PayingFetch {
  return wrapFetchWithPayment(globalThis.fetch, createX402Client(opts));
}

/** The SDK's HTTP-level client (decode a 402, sign a payload, encode the header), for tests that craft payments. */
export function createX402HttpClient(opts: PayingClientOptions): x402HTTPClient {
  return new x402HTTPClient(createX402Client(opts));
}
