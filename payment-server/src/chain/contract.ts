import { Interface, type LogDescription } from 'ethers';
import { termsTuple, type ChannelTerms } from '@chanpay/protocol';
import { PAYMENT_CHANNELS_ABI } from '@chanpay/protocol';

export const paymentChannels = new Interface(PAYMENT_CHANNELS_ABI as never);

/** Explicit gas limits (no estimateGas round trip); generous against the measured figures in docs/gas.md. */
export const GAS = {
  deploy: 3_000_000n,
  open: 250_000n,
  topUp: 150_000n,
  claim: 150_000n,
  claimBatchBase: 80_000n,
  claimBatchPerChannel: 45_000n,
  startClose: 100_000n,
  withdraw: 150_000n,
  closeByProvider: 200_000n,
} as const;

export interface ClaimEntry {
  terms: ChannelTerms;
  amount: bigint;
  signature: string;
}

export const encode = {
  open: (terms: ChannelTerms, amount: bigint) => paymentChannels.encodeFunctionData('open', [termsTuple(terms), amount]),
  topUp: (terms: ChannelTerms, amount: bigint) => paymentChannels.encodeFunctionData('topUp', [termsTuple(terms), amount]),
  startClose: (terms: ChannelTerms) => paymentChannels.encodeFunctionData('startClose', [termsTuple(terms)]),
  withdraw: (terms: ChannelTerms) => paymentChannels.encodeFunctionData('withdraw', [termsTuple(terms)]),
  claim: (c: ClaimEntry) => paymentChannels.encodeFunctionData('claim', [termsTuple(c.terms), c.amount, c.signature]),
  claimBatch: (cs: ClaimEntry[]) =>
    paymentChannels.encodeFunctionData('claimBatch', [cs.map((c) => [termsTuple(c.terms), c.amount, c.signature])]),
  closeByProvider: (terms: ChannelTerms, voucher?: { amount: bigint; signature: string }) =>
    paymentChannels.encodeFunctionData('closeByProvider', [termsTuple(terms), voucher?.amount ?? 0n, voucher?.signature ?? '0x']),
  channel: (id: string) => paymentChannels.encodeFunctionData('channel', [id]),
};

export function decodeChannelState(data: string): { deposit: bigint; claimed: bigint; closesAt: bigint } {
  const [deposit, claimed, closesAt] = paymentChannels.decodeFunctionResult('channel', data) as unknown as [bigint, bigint, bigint];
  return { deposit, claimed, closesAt };
}

export const FINALIZED = (1n << 64n) - 1n;

export function parseLog(log: { topics: string[]; data: string }): LogDescription | null {
  try {
    return paymentChannels.parseLog(log);
  } catch {
    return null;
  }
}

export const TOPICS = {
  ChannelOpened: paymentChannels.getEvent('ChannelOpened')!.topicHash,
  ChannelToppedUp: paymentChannels.getEvent('ChannelToppedUp')!.topicHash,
  ChannelClaimed: paymentChannels.getEvent('ChannelClaimed')!.topicHash,
  ChannelCloseStarted: paymentChannels.getEvent('ChannelCloseStarted')!.topicHash,
  ChannelSettled: paymentChannels.getEvent('ChannelSettled')!.topicHash,
};

/** Decodes a custom-error revert into its name and arguments. */
export function decodeRevert(data: string | undefined): { name: string; args: Record<string, string> } | undefined {
  if (!data || data === '0x') return undefined;
  try {
    const e = paymentChannels.parseError(data);
    if (!e) return undefined;
    const args: Record<string, string> = {};
    e.fragment.inputs.forEach((input, i) => (args[input.name || String(i)] = String(e.args[i])));
    return { name: e.name, args };
  } catch {
    return undefined;
  }
}
