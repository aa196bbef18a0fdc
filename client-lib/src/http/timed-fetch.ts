/** One HTTP attempt: fetch's shape, bounded in time by whoever built it. */
export type UpstreamFetch = (url: string | URL, init: RequestInit) => Promise<Response>;

/**
 * Sends each attempt through `http`, aborted after `timeoutMs` (or earlier by the caller's own signal). The
 * consumer sends every paid attempt through it and a service sends its unpaid calls through it, so that the
 * unpaid baseline does the same HTTP and timer work as the paid path, and nothing else.
 */
export function timedFetch(http: typeof fetch, timeoutMs: number): UpstreamFetch {
  return (url, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return http(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}
