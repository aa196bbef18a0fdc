import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { poolFetch, type PoolFetch } from '../../src/http/pool-fetch';

/** poolFetch must answer as the global fetch does wherever the services and the consumer read an answer. */
describe('poolFetch: a fetch over undici pools', () => {
  let server: http.Server;
  let base: string;
  let pf: PoolFetch;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/empty') {
          res.statusCode = 204;
          res.end();
        } else if (req.url === '/hang') {
          /* never answers */
        } else {
          res.statusCode = req.url === '/missing' ? 404 : 200;
          res.setHeader('content-type', 'application/json');
          res.setHeader('x-two', ['a', 'b']);
          res.end(JSON.stringify({ method: req.method, url: req.url, body, header: req.headers['x-mine'] ?? null }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pf = poolFetch();
  });
  afterAll(async () => {
    await pf.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test.each([
    ['GET with a query', '/a?b=1', {}],
    ['POST with a body and a Headers object', '/post', { method: 'POST', body: '{"x":1}', headers: new Headers({ 'x-mine': 'yes' }) }],
    ['a header record', '/rec', { headers: { 'x-mine': 'rec' } }],
    ['a header list', '/list', { headers: [['X-Mine', 'list']] as [string, string][] }],
    ['a 404', '/missing', {}],
    ['a 204 without a body', '/empty', {}],
  ])('%s: the same status, headers and body as fetch', async (_what, path, init: RequestInit) => {
    const [a, b] = [await pf(`${base}${path}`, init), await fetch(`${base}${path}`, init)];
    expect(a.status).toBe(b.status);
    expect(a.ok).toBe(b.ok);
    expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
    expect(a.headers.get('x-two')).toBe(b.headers.get('x-two'));
    expect(await a.text()).toBe(await b.text());
  });

  test('a URL object works as a string does', async () => {
    const res = await pf(new URL(`${base}/u?v=2`));
    expect(((await res.json()) as { url: string }).url).toBe('/u?v=2');
  });

  test('a timeout rejects with the signal reason, as fetch does', async () => {
    const e = (await pf(`${base}/hang`, { signal: AbortSignal.timeout(100) }).catch((x: unknown) => x)) as Error;
    const f = (await fetch(`${base}/hang`, { signal: AbortSignal.timeout(100) }).catch((x: unknown) => x)) as Error;
    expect(e.name).toBe('TimeoutError');
    expect(e.name).toBe(f.name);
  });

  test('an aborted signal rejects before anything is sent', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(pf(`${base}/a`, { signal: ac.signal })).rejects.toThrow('gone');
  });

  test('a refused connection is a TypeError whose cause names the code, as fetch gives it', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
    const e = (await pf(url).catch((x: unknown) => x)) as TypeError & { cause?: { code?: string } };
    const f = (await fetch(url).catch((x: unknown) => x)) as TypeError & { cause?: { code?: string } };
    expect(e).toBeInstanceOf(TypeError);
    expect(e.cause?.code).toBe('ECONNREFUSED');
    expect(e.cause?.code).toBe(f.cause?.code);
  });
});
