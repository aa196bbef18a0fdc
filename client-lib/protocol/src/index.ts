/**
 * The chanpay protocol, shared by consumers, providers, the payment server and the visualizer. Browser-safe:
 * no Node imports and no Buffer here; the native cryptography is in `@chanpay/protocol/node`.
 */
export {
  ERROR_STATUS,
  ERROR_GROUPS,
  ChanpayError,
  inErrorGroup,
  isErrorCode,
  errorCodeOfBody,
  type ErrorCode,
  type ErrorGroup,
  type ErrorBody,
} from './errors';
export { isHex } from './hex';
export { ZERO_ADDRESS, isAddress, normalizeAddress, sameAddress, checksumAddress, type Address } from './address';
export { MAX_UINT256, DECIMAL_RE, toWei, parseAmount, gwei, finney, ether, type Amount } from './amount';
export {
  VOUCHER_HEADER,
  PREPAY_HEADER,
  TICKET_HEADER,
  PAYMENT_REQUIRED_HEADER,
  RECEIPT_HEADER,
  IDEMPOTENCY_HEADER,
  REPLAYED_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  isValidIdempotencyKey,
} from './headers';
export {
  VOUCHER_WIRE_VERSION,
  MAX_VOUCHER_HEADER_LENGTH,
  encodeVoucher,
  decodeVoucher,
  type Voucher,
  type VoucherParseError,
  type DecodedVoucher,
} from './voucher';
export { termsTuple, normalizeTerms, type ChannelTerms, type ChannelState } from './channel-terms';
export { PAYMENT_SCHEME, encodeTerms, decodeTerms, termsFromJson, type PaymentTerms } from './payment-terms';
export { encodeReceipt, decodeReceipt, type Receipt } from './receipt';
export { MAX_PREPAY_CALLS, encodePrepay, decodePrepay, encodeTicket, decodeTicket, type PrepayRequest, type Ticket } from './tickets';
export { PaidRanges } from './paid-ranges';
export {
  voucherRefusal,
  recordAccepted,
  acceptWithRefresh,
  type AcceptanceInput,
  type AcceptancePolicy,
  type ChannelForAcceptance,
  type SignerOf,
} from './acceptance';
export { PAYMENT_MODES, parsePaymentMode, paymentModeFromEnv, type PaymentMode } from './modes';
export { PAYMENT_CHANNELS_ABI, PAYMENT_CHANNELS_BYTECODE, PAYMENT_CHANNELS_DEPLOYED_BYTECODE } from './contract/payment-channels';
export { API, API_ROUTES, buildOpenApi, WEBHOOK_EVENTS, ApiRequests, ApiResponses, ApiPrimitives } from './api';
export type { ApiRoute, ApiName, ApiInput, ApiRequest, ApiResponse, WebhookEventType } from './api';
export type {
  ChannelInfo,
  ServerConfigInfo,
  ServerStatus,
  SignedVoucherInfo,
  VoucherInfo,
  VerifyResponse,
  RecordResponse,
  VerifyBatchResponse,
  ClaimResponse,
  ClaimAllResponse,
  CloseResponse,
  WithdrawResponse,
  CloseStatusResponse,
  FundsResponse,
  TopUpResponse,
  CallWindow,
  ChannelOrigins,
  ChannelOriginsResponse,
} from './api/types';
export {
  BAGGAGE_HEADER,
  ORIGIN_BAGGAGE_KEY,
  MAX_BAGGAGE_LENGTH,
  MAX_BAGGAGE_MEMBERS,
  MAX_ORIGIN_LENGTH,
  MAX_ORIGINS_PER_WINDOW,
  OTHER_ORIGINS,
  isValidOrigin,
  originOfBaggage,
  withOriginBaggage,
  type BaggageOrigin,
  type OriginAmount,
} from './origin';
