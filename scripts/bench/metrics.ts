/** Reads the payment servers' Prometheus metrics that tell the cost of signing and verifying in remote mode. */

export interface VerifyHistogram {
  count: number;
  sumSeconds: number;
  /** Cumulative counts by upper bound in seconds (Prometheus `le`), `+Inf` last. */
  buckets: { le: number; count: number }[];
}

export interface PaymentServerMetrics {
  verify: VerifyHistogram;
  vouchersSigned: number;
}

export function parseMetrics(text: string): PaymentServerMetrics {
  const verify: VerifyHistogram = { count: 0, sumSeconds: 0, buckets: [] };
  let vouchersSigned = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (name === 'chanpay_voucher_verify_seconds_count') verify.count = value;
    else if (name === 'chanpay_voucher_verify_seconds_sum') verify.sumSeconds = value;
    else if (name === 'chanpay_voucher_verify_seconds_bucket') {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le) verify.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (name === 'chanpay_vouchers_signed_total') vouchersSigned = value;
  }
  verify.buckets.sort((a, b) => a.le - b.le);
  return { verify, vouchersSigned };
}

export async function scrapeMetrics(baseUrl: string, token: string): Promise<PaymentServerMetrics> {
  if (new URL(baseUrl).hostname !== '127.0.0.1') throw new Error('only 127.0.0.1');
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

export interface VerifyStats {
  count: number;
  meanUs: number;
  /** Share of verifications at or under each bucket bound (µs). */
  cumulativeShare: { leUs: number; share: number }[];
}

/** What happened between two scrapes. */
export function verifyBetween(before: PaymentServerMetrics, after: PaymentServerMetrics): VerifyStats {
  const count = after.verify.count - before.verify.count;
  const sum = after.verify.sumSeconds - before.verify.sumSeconds;
  const cumulativeShare = after.verify.buckets
    .filter((b) => Number.isFinite(b.le))
    .map((b) => {
      const earlier = before.verify.buckets.find((x) => x.le === b.le)?.count ?? 0;
      return { leUs: Math.round(b.le * 1e6), share: count > 0 ? (b.count - earlier) / count : 0 };
    });
  return { count, meanUs: count > 0 ? (sum / count) * 1e6 : 0, cumulativeShare };
}
