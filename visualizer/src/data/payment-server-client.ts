/**
 * The few read-only payment server endpoints the page uses. Their answers are checked against the API's own
 * response schemas (`@chanpay/protocol`), so the page and the server cannot drift apart.
 */
import { sumWindows, type ChannelOriginRecord } from '../lib/costs';
import { API, type ApiName, type ApiResponse, type ServerConfigInfo, type ServerStatus } from '@chanpay/protocol';

export type { ServerStatus };
export type ServerAccount = ServerConfigInfo['accounts'][number];

export interface ServerConfig {
  accounts: ServerAccount[];
  statsWindowSeconds: number;
}

export interface CallWindow {
  start: number;
  calls: number;
  amount: bigint;
}

/** The payment server's own (off-chain) view of one channel, amounts as bigint. */
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

  status(): Promise<ServerStatus> {
    return this.get('status', '/status');
  }

  /** The token's accounts and the length of the server's statistics windows. */
  async config(): Promise<ServerConfig> {
    const { accounts, statsWindowSeconds } = await this.get('config', '/config');
    return { accounts, statsWindowSeconds };
  }

  async channels(windows = 30): Promise<OffchainChannel[]> {
    const { channels } = await this.get('listChannels', `/channels?windows=${windows}`);
    return channels.map((c) => ({
      id: c.id,
      role: c.role ?? '',
      state: c.state,
      latestVoucher: c.latestVoucher ? { amount: BigInt(c.latestVoucher.amount), receivedAt: c.latestVoucher.receivedAt } : null,
      unclaimed: BigInt(c.unclaimed),
      calls: c.calls,
      windows: c.windows.map((w) => ({ start: w.start, calls: w.calls, amount: BigInt(w.amount) })),
    }));
  }

  /** What the channel's calls paid by origin (the root caller each named), summed over the newest `windows` windows. */
  async channelOrigins(id: string, windows = 60): Promise<ChannelOriginRecord[]> {
    const { channels } = await this.get('channelOrigins', `/channels/${id}/origins?windows=${windows}`);
    return channels.map((c) => ({ role: c.role, origins: sumWindows(c.windows) }));
  }

  private async get<N extends ApiName>(name: N, path: string): Promise<ApiResponse<N>> {
    const authorized = API[name].auth;
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
      const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new PaymentServerError(
        response.status,
        String(error?.code ?? `HTTP_${response.status}`),
        String(error?.message ?? `${path} answered HTTP ${response.status}`),
      );
    }
    const parsed = API[name].response.safeParse(body);
    if (!parsed.success) {
      throw new PaymentServerError(
        response.status,
        'BAD_RESPONSE',
        `${path} answered in a form this page does not know: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data as ApiResponse<N>;
  }
}
