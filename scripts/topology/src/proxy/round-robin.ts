/**
 * A small round-robin HTTP proxy in front of a service's replicas (what Swarm's VIP does in the Swarm scenario):
 * each request goes to the next replica; a replica that refuses or resets the connection before answering (it
 * died) is skipped for a second and the request goes to the next one (see RETRIED). Any other failure before an
 * answer is a 502; one after the answer started cuts the response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  /** Requests forwarded, by replica URL. */
  forwarded: Map<string, number>;
  stop(): Promise<void>;
}

const DOWN_MS = 1_000;
/**
 * Failures before any answer that send the request to the next replica: refused (the replica is gone) and a
 * pooled connection reset by a replica that died. A request the dead replica had already taken is then seen
 * twice, which the shared state makes harmless for payments: the voucher or ticket is accepted once, the
 * second attempt is refused as a replay (or, with the same Idempotency-Key, answered again).
 */
const RETRIED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
/** Hop-by-hop headers are not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startRoundRobinProxy(opts: { port: number; host?: string; targets: string[] }): Promise<RoundRobinProxy> {
  const targets = opts.targets.map((t) => new URL(t));
  const downUntil = new Map<string, number>();
  const forwarded = new Map<string, number>(opts.targets.map((t) => [t, 0]));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;

  const pick = (tried: Set<number>): number | null => {
    const now = Date.now();
    for (let i = 0; i < targets.length; i++) {
      const at = (next + i) % targets.length;
      if (tried.has(at) || (downUntil.get(targets[at]!.href) ?? 0) > now) continue;
      next = (at + 1) % targets.length;
      return at;
    }
    // Every replica looks down: try one not tried yet anyway.
    for (let at = 0; at < targets.length; at++) if (!tried.has(at)) return at;
    return null;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
      headers['content-length'] = String(body.length);
      const tried = new Set<number>();
      const attempt = () => {
        const at = pick(tried);
        if (at === null) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'UPSTREAM_UNAVAILABLE', message: 'no replica answers' } }));
          return;
        }
        tried.add(at);
        const target = targets[at]!;
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
          (answer) => {
            forwarded.set(target.origin, (forwarded.get(target.origin) ?? 0) + 1);
            const out: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(answer.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
            res.writeHead(answer.statusCode ?? 502, out);
            answer.pipe(res);
          },
        );
        upstream.on('error', (e: NodeJS.ErrnoException) => {
          if (RETRIED.has(e.code ?? '') && !res.headersSent) {
            downUntil.set(target.href, Date.now() + DOWN_MS);
            attempt();
            return;
          }
          if (!res.headersSent) {
            res.writeHead(502, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { code: 'UPSTREAM_UNAVAILABLE', message: `replica failed: ${e.code ?? e.message}` } }));
          } else {
            res.destroy();
          }
        });
        upstream.end(body);
      };
      attempt();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
