import type { RawLog } from './decode';
import { decodeEvent } from './decode';

/** Where an event happened; also its identity (a log is unique by transaction and index). */
export interface LogPosition {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

/** The PaymentChannels events, typed; addresses lower-case, amounts as bigint. */
export type ChannelEvent = LogPosition &
  (
    | {
        kind: 'ChannelOpened';
        channelId: string;
        consumer: string;
        provider: string;
        signer: string;
        token: string;
        challengePeriod: number;
        salt: string;
        deposit: bigint;
      }
    | { kind: 'ChannelToppedUp'; channelId: string; payer: string; amount: bigint; deposit: bigint }
    | { kind: 'ChannelClaimed'; channelId: string; amount: bigint; claimed: bigint }
    | { kind: 'ChannelCloseStarted'; channelId: string; closesAt: number }
    | { kind: 'ChannelSettled'; channelId: string; providerTotal: bigint; consumerRefund: bigint }
    | { kind: 'PayoutDeferred'; token: string; account: string; amount: bigint }
    | { kind: 'OwedWithdrawn'; token: string; account: string; amount: bigint }
  );

/** The typed channel event of a log, or null for any other log. */
export function toChannelEvent(log: RawLog): ChannelEvent | null {
  const event = decodeEvent(log);
  if (!event) return null;
  const a = event.args as Record<string, string>;
  const at: LogPosition = {
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
  };
  const id = (a.channelId ?? '').toLowerCase();
  switch (event.name) {
    case 'ChannelOpened':
      return {
        ...at,
        kind: 'ChannelOpened',
        channelId: id,
        consumer: a.consumer!,
        provider: a.provider!,
        signer: a.signer!,
        token: a.token!,
        challengePeriod: Number(a.challengePeriod),
        salt: a.salt!.toLowerCase(),
        deposit: BigInt(a.deposit!),
      };
    case 'ChannelToppedUp':
      return { ...at, kind: 'ChannelToppedUp', channelId: id, payer: a.payer!, amount: BigInt(a.amount!), deposit: BigInt(a.deposit!) };
    case 'ChannelClaimed':
      return { ...at, kind: 'ChannelClaimed', channelId: id, amount: BigInt(a.amount!), claimed: BigInt(a.claimed!) };
    case 'ChannelCloseStarted':
      return { ...at, kind: 'ChannelCloseStarted', channelId: id, closesAt: Number(a.closesAt) };
    case 'ChannelSettled':
      return {
        ...at,
        kind: 'ChannelSettled',
        channelId: id,
        providerTotal: BigInt(a.providerTotal!),
        consumerRefund: BigInt(a.consumerRefund!),
      };
    case 'PayoutDeferred':
    case 'OwedWithdrawn':
      return { ...at, kind: event.name, token: a.token!, account: a.account!, amount: BigInt(a.amount!) };
    default:
      return null;
  }
}

/** Chain order: by block, then by position in the block. */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}
