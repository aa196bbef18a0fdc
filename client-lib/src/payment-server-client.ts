import {
  ChanpayError,
  ERROR_STATUS,
  isErrorCode,
  type ChannelInfo,
  type ClaimAllResponse,
  type ClaimResponse,
  type CloseResponse,
  type CloseStatusResponse,
  type ErrorCode,
  type FundsResponse,
  type RecordResponse,
  type ServerConfigInfo,
  type ServerStatus,
  type SignedVoucherInfo,
  type TopUpResponse,
  type VerifyBatchResponse,
  type VerifyResponse,
  type VoucherInfo,
  type WithdrawResponse,
} from '@chanpay/protocol';

export interface OpenChannelRequest {
  provider: string;
  deposit: bigint;
  token?: string;
  challengePeriod?: number;
  signer?: string;
  salt?: string;
}

export interface PaymentServerClientOptions {
  /** Base URL, e.g. http://127.0.0.1:3001 */
  url: string;
  /** Bearer token bound to the account(s) this service acts for. */
  token: string;
  /** The account to act for when the token is bound to several. */
  account?: string;
  /** Per request, default 10 s. Chain operations (open, top up, claim, close) get `chainTimeoutMs`. */
  timeoutMs?: number;
  chainTimeoutMs?: number;
  /** Extra attempts for safe requests on 503 / network errors, default 2, 100 ms apart, doubling. */
  retries?: number;
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Safe to repeat: the request either had no effect or has the same effect twice. */
  idempotent: boolean;
  timeoutMs?: number;
}

/** Network errors where the request provably never reached the server, so any request may be repeated. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A typed client for the payment server REST API (docs/api.md). Every failure is a `ChanpayError`: the
 * server's own code when it answered with one, `PAYMENT_SERVER_UNAVAILABLE` when it could not be reached,
 * timed out or answered 5xx without a code.
 */
export class PaymentServerClient {
  readonly url: string;
  private readonly token: string;
  readonly account: string | undefined;
  private readonly timeoutMs: number;
  private readonly chainTimeoutMs: number;
  private readonly retries: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: PaymentServerClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.account = opts.account;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.chainTimeoutMs = opts.chainTimeoutMs ?? 120_000;
    this.retries = opts.retries ?? 2;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  status(): Promise<ServerStatus> {
    return this.request('GET', '/status', { idempotent: true });
  }

  config(): Promise<ServerConfigInfo> {
    return this.request('GET', '/config', { idempotent: true });
  }

  async openChannel(req: OpenChannelRequest): Promise<ChannelInfo> {
    const body = {
      ...this.accountField(),
      provider: req.provider,
      deposit: req.deposit.toString(),
      ...(req.token !== undefined ? { token: req.token } : {}),
      ...(req.challengePeriod !== undefined ? { challengePeriod: req.challengePeriod } : {}),
      ...(req.signer !== undefined ? { signer: req.signer } : {}),
      ...(req.salt !== undefined ? { salt: req.salt } : {}),
    };
    const res = await this.request<{ channel: ChannelInfo }>('POST', '/channels', {
      body,
      idempotent: false,
      timeoutMs: this.chainTimeoutMs,
    });
    return res.channel;
  }

  async channels(filter: { role?: string; state?: string; provider?: string; consumer?: string } = {}): Promise<ChannelInfo[]> {
    const res = await this.request<{ channels: ChannelInfo[] }>('GET', '/channels', {
      query: { ...filter, ...this.accountQuery() },
      idempotent: true,
    });
    return res.channels;
  }

  async channel(id: string): Promise<ChannelInfo> {
    const res = await this.request<{ channel: ChannelInfo }>('GET', `/channels/${encodeURIComponent(id)}`, {
      query: { windows: 0 },
      idempotent: true,
    });
    return res.channel;
  }

  topUp(id: string, amount: bigint): Promise<TopUpResponse> {
    return this.request('POST', `/channels/${encodeURIComponent(id)}/topup`, {
      body: { ...this.accountField(), amount: amount.toString() },
      idempotent: false,
      timeoutMs: this.chainTimeoutMs,
    });
  }

  /** `origin`: the root caller this payment is attributed to (recorded per channel and window by the server). */
  signVoucher(id: string, price: bigint, origin?: string): Promise<SignedVoucherInfo> {
    return this.request('POST', `/channels/${encodeURIComponent(id)}/vouchers`, {
      body: { ...this.accountField(), price: price.toString(), ...(origin ? { origin } : {}) },
      idempotent: false,
    });
  }

  verifyVoucher(voucher: string, price: bigint, idempotencyKey?: string, origin?: string): Promise<VerifyResponse> {
    return this.request('POST', '/vouchers/verify', {
      body: {
        ...this.accountField(),
        voucher,
        price: price.toString(),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        ...(origin ? { origin } : {}),
      },
      // With a key the server answers a repeat like the first; without one a repeat would look like a replay.
      idempotent: idempotencyKey !== undefined,
    });
  }

  /**
   * Several `verifyVoucher` calls in one request (`POST /vouchers/verify-batch`): the server verifies them in order
   * and records the accepted ones before answering; each item is answered on its own, as the single route would.
   * Every item carries its idempotency key, so the request is safe to repeat.
   */
  async verifyVouchers(
    items: readonly { voucher: string; price: bigint; idempotencyKey: string; origin?: string }[],
  ): Promise<(VerifyResponse | ChanpayError)[]> {
    const res = await this.request<VerifyBatchResponse>('POST', '/vouchers/verify-batch', {
      body: {
        ...this.accountField(),
        items: items.map((i) => ({
          voucher: i.voucher,
          price: i.price.toString(),
          idempotencyKey: i.idempotencyKey,
          ...(i.origin ? { origin: i.origin } : {}),
        })),
      },
      idempotent: true,
    });
    if (res.results?.length !== items.length) {
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'payment server POST /vouchers/verify-batch answered another number of items', {
        url: this.url,
      });
    }
    return res.results.map((r) => {
      if (r.accepted) return r;
      // The same error the single route's answer would have become (errorFromResponse).
      const code: ErrorCode = isErrorCode(r.error.code) ? r.error.code : 'INTERNAL';
      return new ChanpayError(code, r.error.message, { httpStatus: ERROR_STATUS[code], ...(r.error.details ?? {}) });
    });
  }

  recordVouchers(vouchers: (string | { voucher: string; calls?: number })[]): Promise<RecordResponse> {
    return this.request('POST', '/vouchers', { body: { ...this.accountField(), vouchers }, idempotent: true });
  }

  async latestVoucher(id: string): Promise<VoucherInfo | null> {
    const res = await this.request<{ voucher: VoucherInfo | null }>('GET', `/channels/${encodeURIComponent(id)}/vouchers/latest`, {
      idempotent: true,
    });
    return res.voucher;
  }

  claim(id: string): Promise<ClaimResponse> {
    return this.request('POST', `/channels/${encodeURIComponent(id)}/claim`, {
      body: this.accountField(),
      idempotent: false,
      timeoutMs: this.chainTimeoutMs,
    });
  }

  claimAll(): Promise<ClaimAllResponse> {
    return this.request('POST', '/claims', { body: { ...this.accountField() }, idempotent: false, timeoutMs: this.chainTimeoutMs });
  }

  close(id: string): Promise<CloseResponse> {
    return this.request('POST', `/channels/${encodeURIComponent(id)}/close`, {
      body: this.accountField(),
      idempotent: false,
      timeoutMs: this.chainTimeoutMs,
    });
  }

  withdraw(id: string): Promise<WithdrawResponse> {
    return this.request('POST', `/channels/${encodeURIComponent(id)}/withdraw`, {
      body: this.accountField(),
      idempotent: false,
      timeoutMs: this.chainTimeoutMs,
    });
  }

  closeStatus(id: string): Promise<CloseStatusResponse> {
    return this.request('GET', `/channels/${encodeURIComponent(id)}/close-status`, { idempotent: true });
  }

  funds(): Promise<FundsResponse> {
    return this.request('GET', '/funds', { query: this.accountQuery(), idempotent: true });
  }

  private accountField(): { account?: string } {
    return this.account ? { account: this.account } : {};
  }

  private accountQuery(): { account?: string } {
    return this.accountField();
  }

  private async request<T>(method: 'GET' | 'POST', path: string, opts: RequestOptions): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const url = this.url + path + (query.size ? `?${query}` : '');
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let delay = 100;
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.retries;
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs) });
      } catch (e) {
        const code = networkCode(e);
        if (canRetry && (opts.idempotent || NOT_SENT.has(code))) {
          await sleep(delay);
          delay *= 2;
          continue;
        }
        throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', `payment server ${method} ${path} failed: ${code}`, {
          url: this.url,
          reason: code,
        });
      }
      const text = await res.text().catch(() => '');
      if (res.ok) {
        try {
          return (text ? JSON.parse(text) : {}) as T;
        } catch {
          throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', `payment server ${method} ${path} answered non-JSON`, { url: this.url });
        }
      }
      if (res.status === 503 && canRetry && opts.idempotent) {
        await sleep(delay);
        delay *= 2;
        continue;
      }
      throw errorFromResponse(res.status, text, `${method} ${path}`);
    }
  }
}

function errorFromResponse(status: number, text: string, what: string): ChanpayError {
  let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const err = parsed?.error;
  const details = { httpStatus: status, ...(isRecord(err?.details) ? err.details : {}) };
  if (err && isErrorCode(err.code)) {
    return new ChanpayError(err.code, String(err.message ?? err.code), details);
  }
  const code: ErrorCode = status >= 500 ? 'PAYMENT_SERVER_UNAVAILABLE' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new ChanpayError(code, `payment server ${what} answered ${status}`, details);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when a fetch failed before anything reached the server (connection refused, unknown host). */
export function neverSent(e: unknown): boolean {
  return NOT_SENT.has(networkCode(e));
}

function networkCode(e: unknown): string {
  const err = e as { name?: string; code?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'TIMEOUT';
  return err?.cause?.code ?? err?.code ?? (e instanceof Error ? e.message : 'NETWORK_ERROR');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
