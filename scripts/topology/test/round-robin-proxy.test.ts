/** The builder's round-robin proxy in front of provider replicas: real HTTP servers on 127.0.0.1. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@chanpay/devkit';
import { startRoundRobinProxy } from '../src/proxy/round-robin';

async function replica(name: string): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-replica': name });
      res.end(JSON.stringify({ name, method: req.method, path: req.url, voucher: req.headers['payment-voucher'] ?? null, body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Closes the server and every connection to it, as a replica that dies does. */
const close = (s: http.Server) =>
  new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

test('spreads requests over the replicas in turn, forwards headers and bodies, and skips a dead replica', async () => {
  const a = await replica('a');
  const b = await replica('b');
  const deadPort = await freePort(); // nobody listens here: a replica that died
  const proxy = await startRoundRobinProxy({ port: 0, targets: [a.url, b.url, `http://127.0.0.1:${deadPort}`] });
  try {
    const names: string[] = [];
    for (let i = 0; i < 9; i++) {
      const res = await fetch(`${proxy.url}/work?x=${i}`, { method: 'POST', headers: { 'payment-voucher': `v${i}` }, body: `b${i}` });
      const json = (await res.json()) as { name: string; path: string; voucher: string; body: string; method: string };
      expect(res.status).toBe(201);
      expect(res.headers.get('x-replica')).toBe(json.name);
      expect(json).toMatchObject({ method: 'POST', path: `/work?x=${i}`, voucher: `v${i}`, body: `b${i}` });
      names.push(json.name);
    }
    // Every call answered, none by the dead one; both live replicas served.
    expect(new Set(names)).toEqual(new Set(['a', 'b']));
    expect(proxy.forwarded.get(a.url)! + proxy.forwarded.get(b.url)!).toBe(9);
    await close(b.server);
    const after = await Promise.all(Array.from({ length: 4 }, () => fetch(`${proxy.url}/status`).then((r) => r.headers.get('x-replica'))));
    expect(after).toEqual(['a', 'a', 'a', 'a']);
    await close(a.server);
    const none = await fetch(`${proxy.url}/status`);
    expect(none.status).toBe(502);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE');
  } finally {
    await proxy.stop();
    await Promise.all([a, b].filter((x) => x.server.listening).map((x) => close(x.server)));
  }
});
