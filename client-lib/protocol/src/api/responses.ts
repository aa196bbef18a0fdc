import { z } from 'zod';
import { Address, Amount, Bytes32, ChannelStateSchema, Hex, UnixSeconds, WEBHOOK_EVENTS } from './primitives';

/** Response schemas of the payment server's API: the JSON it answers, amounts as decimal strings. */

export const StatusResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  chainId: z.string(),
  contract: Address,
  blockNumber: z.number().int().nullable(),
  chainReachable: z.boolean(),
  uptimeSeconds: z.number().int().nonnegative(),
});

export const ConfigResponse = z.object({
  chainId: z.string(),
  contract: Address,
  accounts: z.array(z.object({ name: z.string(), address: Address, signer: Address })),
  defaults: z.object({
    challengePeriod: z.number().int(),
    minChallengePeriod: z.number().int(),
    minDeposit: Amount,
    acceptedTokens: z.array(Address),
  }),
  claimPolicy: z.object({ thresholdWei: Amount, intervalSeconds: z.number().int() }),
  statsWindowSeconds: z.number().int().positive(),
});

export const ChannelTermsJson = z.object({
  consumer: Address,
  provider: Address,
  signer: Address,
  token: Address,
  challengePeriod: z.number().int(),
  salt: Bytes32,
});

export const CallWindowJson = z.object({ start: UnixSeconds, calls: z.number().int().nonnegative(), amount: Amount });

/** One origin's calls and amount in a window (`~other`: the origins beyond the per-window bound). */
export const OriginAmountJson = z.object({ origin: z.string(), calls: z.number().int().nonnegative(), amount: Amount });
export const OriginWindowJson = z.object({ start: UnixSeconds, origins: z.array(OriginAmountJson) });
/**
 * A channel's calls by origin and window, newest window first. `role` provider: what was received (verified or
 * recorded calls); consumer: what was paid (vouchers signed here).
 */
export const ChannelOriginsJson = z.object({
  channelId: Bytes32,
  role: z.enum(['consumer', 'provider']),
  windowSeconds: z.number().int().positive(),
  windows: z.array(OriginWindowJson),
});
export const ChannelOriginsResponse = z.object({ channels: z.array(ChannelOriginsJson) });

/** One channel as the server sees it, from the side of the token's account ("role"). */
export const ChannelJson = z.object({
  id: Bytes32,
  terms: ChannelTermsJson,
  role: z.enum(['consumer', 'provider', 'both']).nullable(),
  state: ChannelStateSchema,
  deposit: Amount,
  claimed: Amount,
  closesAt: UnixSeconds.nullable(),
  openedAtBlock: z.number().int().nonnegative(),
  /** Provider side: the latest voucher accepted; consumer side: the latest signed here. */
  latestVoucher: z.object({ amount: Amount, signature: Hex, receivedAt: UnixSeconds.nullable() }).nullable(),
  unclaimed: Amount,
  calls: z.number().int().nonnegative(),
  /** Calls and amounts per statistics window, newest first. */
  windows: z.array(CallWindowJson),
});

export const ChannelResponse = z.object({ channel: ChannelJson });
export const ChannelListResponse = z.object({ channels: z.array(ChannelJson) });
export const TopUpResponse = z.object({ channel: ChannelJson, txHash: Bytes32 });

export const VoucherJson = z.object({
  channelId: Bytes32,
  amount: Amount,
  signature: Hex,
  chainId: z.string(),
  contract: Address,
  header: z.string(),
});
export const SignedVoucherResponse = z.object({ voucher: VoucherJson, header: z.string() });
export const LatestVoucherResponse = z.object({ voucher: VoucherJson.nullable() });

export const VerifyResponse = z.object({
  accepted: z.literal(true),
  channelId: Bytes32,
  amount: Amount,
  price: Amount,
  replayed: z.boolean(),
  /** The receipt header to send with the paid answer. */
  header: z.string(),
});

export const ErrorJson = z.object({ code: z.string(), message: z.string() });
/** Per item of a batch, in the order sent: what `/vouchers/verify` would have answered, or its error. */
export const VerifyBatchResponse = z.object({
  results: z.array(
    z.union([
      VerifyResponse,
      z.object({
        accepted: z.literal(false),
        channelId: Bytes32.nullable(),
        error: ErrorJson.extend({ details: z.record(z.string(), z.unknown()).optional() }),
      }),
    ]),
  ),
});
export const ChannelBrief = z.object({ state: ChannelStateSchema, deposit: Amount, claimed: Amount, closesAt: UnixSeconds.nullable() });
export const RecordVouchersResponse = z.object({
  results: z.array(
    z.object({ channelId: Bytes32.nullable(), accepted: z.boolean(), amount: Amount.optional(), error: ErrorJson.optional() }),
  ),
  /** Where each channel named above stands now, so that a provider's cache follows closes and top-ups. */
  channels: z.record(z.string(), ChannelBrief),
});

export const ClaimResponse = z.object({ txHash: Bytes32, claimed: Amount, amount: Amount, gasUsed: Amount });
export const ClaimAllResponse = z.object({
  /** One batch transaction per account and batch of channels; empty when there was nothing to claim. */
  transactions: z.array(z.object({ txHash: Bytes32, channels: z.array(Bytes32), gasUsed: Amount })),
  channels: z.array(Bytes32),
});
export const CloseResponse = z.object({
  state: ChannelStateSchema,
  closesAt: UnixSeconds.nullable().optional(),
  txHash: Bytes32.nullable(),
  claimed: Amount.optional(),
  refund: Amount.optional(),
});
export const WithdrawResponse = z.object({ state: ChannelStateSchema, txHash: Bytes32, refund: Amount });
export const CloseStatusResponse = z.object({
  state: ChannelStateSchema,
  closesAt: UnixSeconds.nullable(),
  secondsLeft: z.number().int().nonnegative().nullable(),
  canWithdraw: z.boolean(),
});

export const AccountFunds = z.object({
  name: z.string(),
  address: Address,
  balance: Amount,
  asConsumer: z.object({ channels: z.number().int(), deposited: Amount, claimed: Amount, signed: Amount, refundable: Amount }),
  asProvider: z.object({ channels: z.number().int(), claimed: Amount, unclaimed: Amount }),
});
export const FundsResponse = z.object({ accounts: z.array(AccountFunds) });

export const WebhookJson = z.object({ id: z.uuid(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), createdAt: UnixSeconds });
export const WebhookCreatedResponse = z.object({ webhook: WebhookJson.extend({ secret: z.string() }) });
export const WebhookListResponse = z.object({ webhooks: z.array(WebhookJson) });
export const DeletedResponse = z.object({ deleted: z.literal(true) });

/** The OpenAPI document and the Prometheus text have no schema of their own here. */
export const AnyJson = z.unknown();
export const PrometheusText = z.string();

export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
