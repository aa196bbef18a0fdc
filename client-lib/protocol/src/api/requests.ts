import { z } from 'zod';
import { AccountRef, AddressInput, AmountInput, Bytes32Input, ChallengePeriod, PositiveAmountInput, WEBHOOK_EVENTS } from './primitives';
import { ORIGIN_RE, ORIGIN_RULE } from '../origin';

/** Request schemas of the payment server's API. `z.input` is what a client sends, `z.output` what a handler gets. */

export const ChannelIdParams = z.object({ id: Bytes32Input });
export const WebhookIdParams = z.object({ id: z.uuid() });

export const OpenChannelBody = z.strictObject({
  account: AccountRef.optional(),
  provider: AddressInput,
  deposit: PositiveAmountInput,
  token: AddressInput.optional(),
  challengePeriod: ChallengePeriod.optional(),
  signer: AddressInput.optional(),
  salt: Bytes32Input.optional(),
});

export const TopUpBody = z.strictObject({ account: AccountRef.optional(), amount: PositiveAmountInput });
/** The root caller the signed or verified call is attributed to (origin.ts); recorded per channel and window. */
const Origin = z.string().regex(ORIGIN_RE, ORIGIN_RULE);
export const SignVoucherBody = z.strictObject({ account: AccountRef.optional(), price: PositiveAmountInput, origin: Origin.optional() });
export const VerifyVoucherBody = z.strictObject({
  account: AccountRef.optional(),
  voucher: z.string().max(4096),
  price: AmountInput,
  idempotencyKey: z.string().min(1).max(200).optional(),
  origin: Origin.optional(),
});
/** One paid call of a batch: the fields of `VerifyVoucherBody` without the account (the batch names it once). */
export const VerifyBatchItem = VerifyVoucherBody.omit({ account: true });
export const VerifyBatchBody = z.strictObject({
  account: AccountRef.optional(),
  items: z.array(VerifyBatchItem).min(1).max(256),
});
export const VoucherEntry = z.union([
  z.string().max(4096),
  z.strictObject({ voucher: z.string().max(4096), calls: z.number().int().positive().max(1_000_000).optional() }),
]);
export const RecordVouchersBody = z.strictObject({
  account: AccountRef.optional(),
  vouchers: z.array(VoucherEntry).min(1).max(1000),
});
export const AccountBody = z.strictObject({ account: AccountRef.optional() });
const Windows = z.coerce.number().int().min(0).max(1000);
export const ListChannelsQuery = z.strictObject({
  role: z.enum(['consumer', 'provider']).optional(),
  state: z.enum(['open', 'closing', 'settled']).optional(),
  provider: AddressInput.optional(),
  consumer: AddressInput.optional(),
  windows: Windows.optional(),
  account: AccountRef.optional(),
});
export const ChannelQuery = z.strictObject({ windows: Windows.optional() });
export const OriginsQuery = z.strictObject({ windows: Windows.optional() });
export const AccountQuery = z.strictObject({ account: AccountRef.optional() });
export const WebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
  secret: z.string().min(16).max(200).optional(),
});
