import type { z } from 'zod';
import type * as R from './responses';

/** The API's JSON answers as TypeScript types (amounts as decimal strings, as on the wire). */
export type ChannelInfo = z.output<typeof R.ChannelJson>;
export type ServerConfigInfo = z.output<typeof R.ConfigResponse>;
export type ServerStatus = z.output<typeof R.StatusResponse>;
export type SignedVoucherInfo = z.output<typeof R.SignedVoucherResponse>;
export type VoucherInfo = z.output<typeof R.VoucherJson>;
export type VerifyResponse = z.output<typeof R.VerifyResponse>;
export type VerifyBatchResponse = z.output<typeof R.VerifyBatchResponse>;
export type RecordResponse = z.output<typeof R.RecordVouchersResponse>;
export type ClaimResponse = z.output<typeof R.ClaimResponse>;
export type ClaimAllResponse = z.output<typeof R.ClaimAllResponse>;
export type CloseResponse = z.output<typeof R.CloseResponse>;
export type WithdrawResponse = z.output<typeof R.WithdrawResponse>;
export type CloseStatusResponse = z.output<typeof R.CloseStatusResponse>;
export type FundsResponse = z.output<typeof R.FundsResponse>;
export type TopUpResponse = z.output<typeof R.TopUpResponse>;
export type CallWindow = z.output<typeof R.CallWindowJson>;
export type ChannelOrigins = z.output<typeof R.ChannelOriginsJson>;
export type ChannelOriginsResponse = z.output<typeof R.ChannelOriginsResponse>;
