import { z } from 'zod';

export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte hex address').transform((s) => s.toLowerCase());
export const Bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, '0x followed by 64 hex digits').transform((s) => s.toLowerCase());
/** Amounts travel as decimal strings (JSON numbers lose precision above 2^53). */
export const Amount = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'a decimal integer string')
  .transform((s) => BigInt(s))
  .refine((v) => v < 1n << 256n, 'at most 2^256 - 1');
export const PositiveAmount = Amount.refine((v) => v > 0n, 'must be positive');
export const AccountRef = z.string().min(1).max(64);
export const ChannelIdParam = z.object({ id: Bytes32 });

export const OpenChannelBody = z.strictObject({
  account: AccountRef.optional(),
  provider: Address,
  deposit: PositiveAmount,
  token: Address.optional(),
  challengePeriod: z.number().int().positive().max(4_294_967_295).optional(),
  signer: Address.optional(),
  salt: Bytes32.optional(),
});

export const TopUpBody = z.strictObject({ account: AccountRef.optional(), amount: PositiveAmount });
export const SignVoucherBody = z.strictObject({ account: AccountRef.optional(), price: PositiveAmount });
export const VerifyVoucherBody = z.strictObject({
  account: AccountRef.optional(),
  voucher: z.string().max(4096),
  price: Amount,
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export const RecordVouchersBody = z.strictObject({
  account: AccountRef.optional(),
  vouchers: z
    .array(z.union([z.string().max(4096), z.strictObject({ voucher: z.string().max(4096), calls: z.number().int().positive().max(1_000_000).optional() })]))
    .min(1)
    .max(1000),
});
export const AccountBody = z.strictObject({ account: AccountRef.optional() });
export const ListChannelsQuery = z.strictObject({
  role: z.enum(['consumer', 'provider']).optional(),
  state: z.enum(['open', 'closing', 'settled']).optional(),
  provider: Address.optional(),
  consumer: Address.optional(),
  windows: z.coerce.number().int().min(0).max(1000).optional(),
  account: AccountRef.optional(),
});
export const ChannelQuery = z.strictObject({ windows: z.coerce.number().int().min(0).max(1000).optional() });
export const AccountQuery = z.strictObject({ account: AccountRef.optional() });
export const WebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  events: z.array(z.enum(['channel.opened', 'channel.topped_up', 'channel.claimed', 'channel.closing', 'channel.settled', 'voucher.accepted'])).min(1),
  secret: z.string().min(16).max(200).optional(),
});
export const WebhookIdParam = z.object({ id: z.uuid() });
export const Empty = z.strictObject({});
