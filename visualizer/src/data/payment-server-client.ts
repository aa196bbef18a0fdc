/** The few read-only payment server endpoints the page uses (docs/api.md). */

export interface ServerStatus {
  status: string;
  chainId: number | null;
  contract: string | null;
  blockNumber: number | null;
}

export interface ServerAccount {
  name: string;
  address: string;
  signer: string | null;
}

export interface ServerConfig {
  accounts: ServerAccount[];
  statsWindowSeconds: number;
}

export interface CallWindow {
  start: number;
  calls: number;
  amount: bigint;
}

/** The payment server's own (off-chain) view of one channel. */
export interface OffchainChannel {
  id: string;
  role: string;
  state: string;
  latestVoucher: { amount: bigint; receivedAt: number | null } | null;
  unclaimed: bigint;
  calls: number;
  /** Newest first, as the server sends them. */
  windows: CallWindow[];
}

export class PaymentServerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class PaymentServerClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
    private readonly timeoutMs = 5_000,
  ) {}

  async status(): Promise<ServerStatus> {
    const body = record(await this.get('/status', false));
    return {
      status: String(body.status ?? ''),
      chainId: typeof body.chainId === 'number' ? body.chainId : null,
      contract: typeof body.contract === 'string' ? body.contract.toLowerCase() : null,
      blockNumber: typeof body.blockNumber === 'number' ? body.blockNumber : null,
    };
  }

  /** The token's accounts and the length of the server's statistics windows. */
  async config(): Promise<ServerConfig> {
    const body = record(await this.get('/config', true));
    const accounts = Array.isArray(body.accounts) ? body.accounts : [];
    return {
      statsWindowSeconds: typeof body.statsWindowSeconds === 'number' && body.statsWindowSeconds > 0 ? body.statsWindowSeconds : 60,
      accounts: accounts.map((a) => {
        const account = record(a);
        return {
          name: String(account.name ?? ''),
          address: String(account.address ?? '').toLowerCase(),
          signer: typeof account.signer === 'string' ? account.signer.toLowerCase() : null,
        };
      }),
    };
  }

  async channels(windows = 30): Promise<OffchainChannel[]> {
    const body = record(await this.get(`/channels?windows=${windows}`, true));
    const channels = Array.isArray(body.channels) ? body.channels : [];
    return channels.map(parseChannel);
  }

  private async get(path: string, authorized: boolean): Promise<unknown> {
    if (authorized && !this.token) throw new PaymentServerError(0, 'NO_TOKEN', 'no bearer token given');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        headers: authorized ? { authorization: `Bearer ${this.token}` } : {},
        signal: controller.signal,
      });
    } catch (err) {
      throw new PaymentServerError(
        0,
        'UNREACHABLE',
        `cannot reach the payment server at ${this.baseUrl} (${controller.signal.aborted ? 'timed out' : String(err)}); ` +
          'is it running, and does it allow this page’s origin (CORS)?',
      );
    } finally {
      clearTimeout(timer);
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = record(record(body).error);
      throw new PaymentServerError(
        response.status,
        String(error.code ?? `HTTP_${response.status}`),
        String(error.message ?? `${path} answered HTTP ${response.status}`),
      );
    }
    return body;
  }
}

function parseChannel(value: unknown): OffchainChannel {
  const c = record(value);
  const voucher = c.latestVoucher ? record(c.latestVoucher) : null;
  return {
    id: String(c.id ?? '').toLowerCase(),
    role: String(c.role ?? ''),
    state: String(c.state ?? ''),
    latestVoucher: voucher
      ? { amount: amount(voucher.amount), receivedAt: typeof voucher.receivedAt === 'number' ? voucher.receivedAt : null }
      : null,
    unclaimed: amount(c.unclaimed),
    calls: typeof c.calls === 'number' ? c.calls : 0,
    windows: (Array.isArray(c.windows) ? c.windows : []).map((w) => {
      const window = record(w);
      return {
        start: Number(window.start ?? 0),
        calls: Number(window.calls ?? 0),
        amount: amount(window.amount),
      };
    }),
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function amount(value: unknown): bigint {
  return typeof value === 'string' && /^\d+$/.test(value) ? BigInt(value) : 0n;
}
