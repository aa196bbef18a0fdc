import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** Longer than clients keep idle pooled connections, so that the server is not the side closing one just as a client reuses it. */
const KEEP_ALIVE_MS = 65_000;

export interface Listening {
  /** Base URL, e.g. http://127.0.0.1:3001 (an IPv6 host in brackets). */
  url: string;
  /** Stops accepting and drops open connections. */
  close(): Promise<void>;
}

export async function listen(app: Koa, host: string, port: number): Promise<Listening> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
