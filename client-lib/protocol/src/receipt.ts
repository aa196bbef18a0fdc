/** What a served paid call cost, in the `payment-receipt` header. */
export interface Receipt {
  channelId: string;
  /** The voucher's cumulative amount that is now the provider's latest (a ticket: its block's voucher). */
  amount: bigint;
  /** What this call cost. */
  price: bigint;
}

/** Receipt header form: `<channelId>.<cumulativeAmount>.<price>`. */
export function encodeReceipt(r: Receipt): string {
  return `${r.channelId}.${r.amount}.${r.price}`;
}

const RECEIPT_RE = /^(0x[0-9a-f]{64})\.(\d{1,78})\.(\d{1,78})$/;

export function decodeReceipt(header: string): Receipt | null {
  const m = RECEIPT_RE.exec(header);
  return m ? { channelId: m[1]!, amount: BigInt(m[2]!), price: BigInt(m[3]!) } : null;
}
