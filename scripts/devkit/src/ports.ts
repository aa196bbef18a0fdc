import { createServer } from 'node:net';

/**
 * Ports this process has handed out already. The kernel may give the port it just freed to the next `listen(0)`,
 * so two calls in a row can return the same port; callers that ask for several ports before binding any of them
 * (a launcher's PUBLIC_PORT, CHAIN_PORT, …) would then give one port to two processes.
 */
const handedOut = new Set<number>();

function probe(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP port that was free a moment ago on `host` and that this process has not handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = await probe(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: the kernel kept offering ports this process has handed out already');
}
