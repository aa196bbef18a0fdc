/** A call as the consumer sends it, once per attempt: its payment headers change between attempts. */
export interface PreparedRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer> | string | undefined;
  signal: AbortSignal | undefined;
  /** The rest of the caller's init (credentials, redirect, …), passed through. */
  other: RequestInit;
}

/** The common case without awaiting: a URL (no Request) and no body. Null otherwise. */
export function prepareSync(input: string | URL | Request, init: RequestInit): PreparedRequest | null {
  if (input instanceof Request || (init.body !== undefined && init.body !== null)) return null;
  const { method, headers: given, body: _b, signal, ...other } = init;
  return {
    url: new URL(String(input)),
    method: (method ?? 'GET').toUpperCase(),
    headers: new Headers(given),
    body: undefined,
    signal: signal ?? undefined,
    other,
  };
}

export async function prepare(input: string | URL | Request, init: RequestInit): Promise<PreparedRequest> {
  let url: URL;
  let method = init.method;
  const headers = new Headers();
  let body: Uint8Array<ArrayBuffer> | string | undefined;
  if (input instanceof Request) {
    url = new URL(input.url);
    method ??= input.method;
    input.headers.forEach((v, k) => headers.set(k, v));
    if (init.body === undefined && input.body) body = new Uint8Array(await input.arrayBuffer());
  } else {
    url = new URL(String(input));
  }
  if (init.headers) new Headers(init.headers).forEach((v, k) => headers.set(k, v));
  if (init.body !== undefined && init.body !== null) body = await bufferBody(init.body);
  const { method: _m, headers: _h, body: _b, signal: _s, ...other } = init;
  return { url, method: (method ?? 'GET').toUpperCase(), headers, body, signal: init.signal ?? undefined, other };
}

/** The key under which the consumer remembers a route's terms: `METHOD origin path`. */
export function routeOf(req: PreparedRequest): string {
  return `${req.method} ${req.url.origin}${req.url.pathname}`;
}

/** A body that can be sent more than once (the call may be repeated with a corrected voucher). */
async function bufferBody(body: BodyInit): Promise<Uint8Array<ArrayBuffer> | string> {
  if (typeof body === 'string') return body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}
