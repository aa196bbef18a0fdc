import { z } from 'zod';

/** Input forms: what a client may send (mixed case accepted, normalised to lower case; amounts parsed to bigint). */
export const AddressInput = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte hex address')
  .transform((s) => s.toLowerCase());
export const Bytes32Input = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, '0x followed by 64 hex digits')
  .transform((s) => s.toLowerCase());
/** Amounts travel as decimal strings (JSON numbers lose precision above 2^53). */
export const AmountInput = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'a decimal integer string')
  .transform((s) => BigInt(s))
  .refine((v) => v < 1n << 256n, 'at most 2^256 - 1');
export const PositiveAmountInput = AmountInput.refine((v) => v > 0n, 'must be positive');
export const AccountRef = z.string().min(1).max(64);
export const ChallengePeriod = z.number().int().positive().max(4_294_967_295);

/** Output forms: what the server answers (always lower-case hex and decimal strings). */
export const Address = z.string().regex(/^0x[0-9a-f]{40}$/);
export const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);
export const Hex = z.string().regex(/^0x([0-9a-f]{2})*$/);
export const Amount = z.string().regex(/^(0|[1-9][0-9]{0,77})$/);
export const ChannelStateSchema = z.enum(['open', 'closing', 'settled']);
export const UnixSeconds = z.number().int().nonnegative();

export const WEBHOOK_EVENTS = [
  'channel.opened',
  'channel.topped_up',
  'channel.claimed',
  'channel.closing',
  'channel.settled',
  'voucher.accepted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
