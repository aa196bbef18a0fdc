/**
 * Sends the load's requests over an undici `Pool`: a fixed number of keep-alive connections to one origin,
 * requests beyond them queued inside the pool (that queueing is part of the latency an open-loop run reports).
 * undici rather than node:http: far less work per request in the generator, so that one Node process keeps a
 * schedule of thousands of requests per second. 127.0.0.1 unless told otherwise (`--target`).
 */
import { Pool } from 'undici';

/** undici's dump closes the connection past its limit (128 KiB by default): keep-alive whatever the body's size. */
const BODY_DUMP_LIMIT = 1 << 30;

export interface SenderOptions {
  /** Full URL of the route loaded, e.g. http://127.0.0.1:8003/action. */
  url: string;
  /** Keep-alive connections to the origin. */
  connections: number;
  /** Per request, from the pool's send to the last body byte; default 30 s. */
  timeoutMs?: number;
  /** Allow hosts other than 127.0.0.1 (a deployed network named by the user); default false. */
  anyHost?: boolean;
  /** Extra headers of every request. */
  headers?: Record<string, string>;
}

export interface SendOutcome {
  /** HTTP status, or 0 on a transport error (then `error` says which). */
  status: number;
  error?: string;
  /** The body, only when asked for (sampled checks) or when the status is not 2xx (it says why). */
  body?: string;
}

export interface Sender {
  send(wantBody: boolean): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function httpSender(opts: SenderOptions): Sender {
  const target = new URL(opts.url);
  if (target.hostname !== '127.0.0.1' && !opts.anyHost)
    throw new Error(`the load generator only sends to 127.0.0.1, not ${target.hostname}`);
  if (!Number.isInteger(opts.connections) || opts.connections < 1 || opts.connections > 1024)
    throw new Error(`connections must be 1..1024, not ${opts.connections}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const pool = new Pool(target.origin, {
    connections: opts.connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 60_000,
  });
  const path = target.pathname + target.search;
  return {
    async send(wantBody) {
      try {
        const res = await pool.request({ path, method: 'GET', headers: opts.headers });
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        if (wantBody || !ok) return { status: res.statusCode, body: await res.body.text() };
        await res.body.dump({ limit: BODY_DUMP_LIMIT });
        return { status: res.statusCode };
      } catch (e) {
        return { status: 0, error: (e as Error).message };
      }
    },
    close: () => pool.close(),
  };
}
