import http from 'node:http';
import type { TextCollector } from './secret-scan';

export interface RawRequest {
  method: string;
  /** Path and query, sent as given (percent-encode what needs it). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Another agent (e.g. `false` for a fresh connection); default: a shared keep-alive agent. */
  agent?: http.Agent | false;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** The request could not even be put on the wire (node refuses the header or path): nothing reached the server. */
export class NotSendable extends Error {}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A plain node:http client that sends headers, paths and bodies exactly as given (fetch would refuse or rewrite
 * many of them), to 127.0.0.1 only. Every response body goes to `collector` for the secret scan.
 */
export function rawClient(baseUrl: string | (() => string), collector?: TextCollector) {
  const base = () => new URL(typeof baseUrl === 'string' ? baseUrl : baseUrl());
  return async function send(req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
    const u = base();
    if (u.hostname !== '127.0.0.1') throw new Error('reliability tests only talk to 127.0.0.1');
    return new Promise<RawResponse>((resolve, reject) => {
      let r: http.ClientRequest;
      const headers = { ...req.headers };
      // Always frame a body: node sends a GET body unframed, which is garbage on the wire, not a hostile input.
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      try {
        r = http.request({
          host: '127.0.0.1',
          port: Number(u.port),
          method: req.method,
          path: req.path,
          headers,
          agent: req.agent ?? agent,
          timeout: timeoutMs,
        });
      } catch (e) {
        reject(new NotSendable((e as Error).message));
        return;
      }
      r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: no answer within ${timeoutMs} ms`)));
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code && /^ERR_(INVALID|UNESCAPED|HTTP_INVALID)/.test(e.code)) reject(new NotSendable(e.message));
        else reject(e);
      });
      r.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          collector?.add(`response ${req.method} ${req.path.split('?')[0]}`, text);
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      try {
        if (req.body !== undefined) r.write(req.body);
        r.end();
      } catch (e) {
        r.destroy();
        reject(new NotSendable((e as Error).message));
      }
    });
  };
}

export type RawSend = ReturnType<typeof rawClient>;

/** JSON calls with a bearer token, on top of the raw client. */
export function jsonApi(baseUrl: string | (() => string), collector?: TextCollector) {
  const send = rawClient(baseUrl, collector);
  return {
    send,
    async call<T = any>(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await send({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (res.json ?? res.text) as T };
    },
  };
}

export type JsonApi = ReturnType<typeof jsonApi>;
