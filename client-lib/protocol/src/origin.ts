/**
 * Origin attribution: every paid call carries the id of the caller that started the chain of calls (its root),
 * as the member `chanpay.origin=<id>` of the W3C `baggage` header. An entry service that receives none names
 * itself; every hop passes the origin it received on to its upstream calls. The origin is the caller's claim,
 * not a proof (docs/observability.md).
 */

/** The W3C Baggage header (https://www.w3.org/TR/baggage/). */
export const BAGGAGE_HEADER = 'baggage';
export const ORIGIN_BAGGAGE_KEY = 'chanpay.origin';

/** W3C Baggage's limits for what a receiver must accept; a longer header is refused. */
export const MAX_BAGGAGE_LENGTH = 8192;
export const MAX_BAGGAGE_MEMBERS = 180;
export const MAX_ORIGIN_LENGTH = 64;

/**
 * An origin id: 1 to 64 of letters, digits and `.`, `_`, `:`, `-`. Safe unencoded in a baggage value, a URL,
 * a log line and a metric label. `~other` (outside this charset) is the bucket of origins beyond a record's bound.
 */
export const ORIGIN_RE = /^[A-Za-z0-9._:-]{1,64}$/;
export const ORIGIN_RULE = "1 to 64 letters, digits, '.', '_', ':' or '-'";
export const OTHER_ORIGINS = '~other';

export function isValidOrigin(id: string): boolean {
  return ORIGIN_RE.test(id);
}

export type BaggageOrigin = { ok: true; origin: string | null } | { ok: false; message: string };

/**
 * The origin named by a `baggage` header (null: none). A header beyond the W3C limits, more than one
 * `chanpay.origin` member, or one whose value is not a valid origin id is malformed (answered
 * `MALFORMED_BAGGAGE`, 400, before any payment). Other members are not ours: they are passed on unread.
 */
export function originOfBaggage(header: string | undefined): BaggageOrigin {
  if (header === undefined || header === '') return { ok: true, origin: null };
  if (header.length > MAX_BAGGAGE_LENGTH) return { ok: false, message: `baggage is longer than ${MAX_BAGGAGE_LENGTH} characters` };
  const members = header.split(',');
  if (members.length > MAX_BAGGAGE_MEMBERS) return { ok: false, message: `baggage has more than ${MAX_BAGGAGE_MEMBERS} members` };
  let origin: string | null = null;
  for (const member of members) {
    const eq = member.indexOf('=');
    if (eq < 0 || member.slice(0, eq).trim() !== ORIGIN_BAGGAGE_KEY) continue;
    if (origin !== null) return { ok: false, message: `baggage names ${ORIGIN_BAGGAGE_KEY} more than once` };
    // Properties (`;k=v`) are allowed by W3C Baggage and ignored.
    const raw = member
      .slice(eq + 1)
      .split(';')[0]!
      .trim();
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return { ok: false, message: `${ORIGIN_BAGGAGE_KEY} is not valid percent-encoding` };
    }
    if (!isValidOrigin(value))
      return {
        ok: false,
        message: `${ORIGIN_BAGGAGE_KEY} must be ${ORIGIN_RULE}`,
      };
    origin = value;
  }
  return { ok: true, origin };
}

/** `baggage` with `chanpay.origin` set to `origin` (replacing any such member), other members kept in order. */
export function withOriginBaggage(header: string | null | undefined, origin: string): string {
  if (!isValidOrigin(origin)) throw new Error(`not a valid origin id: ${JSON.stringify(origin)}`);
  const others = (header ?? '')
    .split(',')
    .filter((m) => m.trim() !== '' && m.slice(0, Math.max(0, m.indexOf('='))).trim() !== ORIGIN_BAGGAGE_KEY);
  return [`${ORIGIN_BAGGAGE_KEY}=${origin}`, ...others.map((m) => m.trim())].join(',');
}

/** Calls and amount of one origin in one time window of one channel. */
export interface OriginAmount {
  origin: string;
  calls: number;
  amount: bigint;
}

/** The most distinct origins one channel records per window; more are summed under `~other`. */
export const MAX_ORIGINS_PER_WINDOW = 256;
