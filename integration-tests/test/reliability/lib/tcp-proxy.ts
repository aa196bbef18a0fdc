import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@chanpay/devkit';

export type ProxyMode = 'up' | 'refuse' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 in front of another local port, to cut a link on demand:
 * - `refuse`: stops listening and drops every open connection (the node looks down: ECONNREFUSED);
 * - `blackhole`: keeps accepting but never forwards a byte (the node looks hung: requests time out);
 * - `up`: forwards again, on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  private current: ProxyMode = 'up';
  readonly stats = { connections: 0, dropped: 0, blackholed: 0, cuts: 0 };

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(targetUrl: string, port?: number): Promise<TcpProxy> {
    const u = new URL(targetUrl);
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error('TcpProxy only forwards to 127.0.0.1');
    const proxy = new TcpProxy(port ?? (await freePort()), { host: '127.0.0.1', port: Number(u.port) });
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.current;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    const drop = () => {
      pair.client.destroy();
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', drop);
    client.on('close', drop);
    if (this.current === 'blackhole') {
      this.stats.blackholed++;
      client.resume(); // read and discard
      return;
    }
    const upstream = createConnection(this.target);
    pair.upstream = upstream;
    upstream.on('error', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private dropAll(): void {
    for (const p of this.pairs) {
      this.stats.dropped++;
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  /** Cuts the link: open connections are dropped, new ones refused or black-holed. */
  async cut(mode: Exclude<ProxyMode, 'up'> = 'refuse'): Promise<void> {
    this.stats.cuts++;
    this.current = mode;
    this.dropAll();
    if (mode === 'refuse' && this.server) {
      const s = this.server;
      this.server = undefined;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Forwards again on the same port. */
  async restore(): Promise<void> {
    this.dropAll();
    this.current = 'up';
    if (!this.server) await this.listen();
  }

  async stop(): Promise<void> {
    this.dropAll();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
