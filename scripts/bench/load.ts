/**
 * The load generator: a keep-alive `node:http` client with a fixed number of requests in flight (like Apache
 * Bench's -c, but reusing connections), timing every request with the monotonic high-resolution clock from
 * sending it to the last byte of the body. Sub-millisecond precision matters here: autocannon reports whole
 * milliseconds. Bounded in requests and time; refuses any host but 127.0.0.1.
 */
import http from 'node:http';

export interface LoadOptions {
  url: string;
  concurrency: number;
  /** Stop after this many requests (the thesis's n). */
  requests?: number;
  /** Or after this long (the saturation run); both bounds apply when both are given. */
  durationMs?: number;
  /** Hard bounds whatever else is given. */
  maxRequests?: number;
  maxDurationMs?: number;
  timeoutMs?: number;
  /** Checks the body of every `checkEvery`-th successful response; returns a complaint or null. */
  check?: (body: string) => string | null;
  checkEvery?: number;
  /** Extra headers of the i-th request (0-based), e.g. a voucher per call when loading a provider directly. */
  headers?: (i: number) => Record<string, string>;
  /** Called about once a second while the run lasts. */
  onTick?: (done: number, elapsedMs: number) => void;
}

export interface LoadResult {
  /** Latency of each successful (2xx) request, in completion order. */
  latenciesMs: Float64Array;
  ok: number;
  failed: number;
  /** Responses by HTTP status, and transport errors by message. */
  statuses: Record<string, number>;
  errors: Record<string, number>;
  checkFailures: string[];
  elapsedMs: number;
}

const DEFAULT_MAX_REQUESTS = 1_000_000;
const DEFAULT_MAX_DURATION_MS = 10 * 60_000;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  if (target.hostname !== '127.0.0.1') throw new Error(`the load generator only sends to 127.0.0.1, not ${target.hostname}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 1000)
    throw new Error('concurrency must be 1..1000');
  if (opts.requests === undefined && opts.durationMs === undefined) throw new Error('give requests, durationMs or both');
  const limit = Math.min(opts.requests ?? Infinity, opts.maxRequests ?? DEFAULT_MAX_REQUESTS);
  const durationMs = Math.min(opts.durationMs ?? Infinity, opts.maxDurationMs ?? DEFAULT_MAX_DURATION_MS);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const checkEvery = opts.checkEvery ?? 50;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const checkFailures: string[] = [];
  let issued = 0;
  let ok = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;

  const once = (wantBody: boolean, headers: Record<string, string> | undefined) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', headers },
        (res) => {
          const chunks: Buffer[] = [];
          // The body of a failure is always kept: it says why (the error code), for the report.
          const keep = wantBody || !(res.statusCode && res.statusCode >= 200 && res.statusCode < 300);
          if (keep) res.on('data', (c: Buffer) => chunks.push(c));
          else res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: keep ? Buffer.concat(chunks).toString() : '' }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });

  const worker = async () => {
    while (issued < limit && elapsedMs() < durationMs) {
      const headers = opts.headers?.(issued);
      issued++;
      const wantBody = opts.check !== undefined && (ok + failed) % checkEvery === 0;
      const t0 = process.hrtime.bigint();
      try {
        const { status, body } = await once(wantBody, headers);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          ok++;
          latencies.push(ms);
          const complaint = wantBody ? opts.check!(body) : null;
          if (complaint && checkFailures.length < 20) checkFailures.push(complaint);
        } else {
          failed++;
          if (checkFailures.length < 20) checkFailures.push(`HTTP ${status}: ${body.slice(0, 200)}`);
        }
      } catch (e) {
        failed++;
        const msg = (e as Error).message;
        errors[msg] = (errors[msg] ?? 0) + 1;
      }
    }
  };

  const ticker = opts.onTick ? setInterval(() => opts.onTick!(ok + failed, elapsedMs()), 1000) : null;
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    if (ticker) clearInterval(ticker);
    agent.destroy();
  }
  return { latenciesMs: Float64Array.from(latencies), ok, failed, statuses, errors, checkFailures, elapsedMs: elapsedMs() };
}
