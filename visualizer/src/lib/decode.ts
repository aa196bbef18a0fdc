import type { ParamType, Result } from 'ethers';
import { paymentChannels, paymentChannelsCreationCode } from './abi';

/** A decoded argument in a form that is easy to print: bigints as decimal strings, tuples as objects. */
export type Plain = string | boolean | Plain[] | { [name: string]: Plain };

export interface DecodedCall {
  name: string;
  signature: string;
  args: Record<string, Plain>;
}

export interface RawLog {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

export interface DecodedEvent {
  name: string;
  address: string;
  args: Record<string, Plain>;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

/** The PaymentChannels call in a transaction's input, or null if it is not one (or not a call at all). */
export function decodeCall(data: string, value: bigint = 0n): DecodedCall | null {
  if (!data || data.length < 10) return null;
  let parsed;
  try {
    parsed = paymentChannels.parseTransaction({ data, value });
  } catch {
    return null;
  }
  if (!parsed) return null;
  return {
    name: parsed.name,
    signature: parsed.signature,
    args: plainArgs(parsed.fragment.inputs, parsed.args),
  };
}

/** A PaymentChannels event, or null for logs of other contracts or events it does not declare. */
export function decodeEvent(log: RawLog): DecodedEvent | null {
  let parsed;
  try {
    parsed = paymentChannels.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (!parsed) return null;
  return {
    name: parsed.name,
    address: log.address.toLowerCase(),
    args: plainArgs(parsed.fragment.inputs, parsed.args),
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
  };
}

/** True when a contract-creation input is PaymentChannels' creation code (its constructor takes no arguments). */
export function isPaymentChannelsDeployment(input: string): boolean {
  return input.toLowerCase() === paymentChannelsCreationCode;
}

function plainArgs(params: readonly ParamType[], values: Result): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  params.forEach((param, i) => {
    out[param.name || `arg${i}`] = plainOf(param, values[i]);
  });
  return out;
}

function plainOf(param: ParamType, value: unknown): Plain {
  if (param.isTuple() && param.components) {
    return plainArgs(param.components, value as Result);
  }
  if (param.isArray() && param.arrayChildren) {
    const child = param.arrayChildren;
    return Array.from(value as Result, (item) => plainOf(child, item));
  }
  if (param.type === 'address') return String(value).toLowerCase();
  return plain(value);
}

function plain(value: unknown): Plain {
  if (typeof value === 'bigint' || typeof value === 'number') return value.toString();
  if (typeof value === 'boolean') return value;
  return String(value);
}

/** A one-line rendering of decoded arguments, tuples in braces. */
export function formatArgs(args: Record<string, Plain>): string {
  return Object.entries(args)
    .map(([name, value]) => `${name}: ${formatPlain(value)}`)
    .join(', ');
}

function formatPlain(value: Plain): string {
  if (Array.isArray(value)) return `[${value.map(formatPlain).join(', ')}]`;
  if (typeof value === 'object') return `{ ${formatArgs(value)} }`;
  return String(value);
}
