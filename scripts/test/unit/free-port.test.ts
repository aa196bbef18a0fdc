import { createServer } from 'node:net';
import { freePort } from '@chanpay/devkit';

describe('freePort', () => {
  test('never hands out one port twice in a process, though each probe frees its port before the next', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  test('the port it hands out can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    expect((srv.address() as { port: number }).port).toBe(port);
    await new Promise((r) => srv.close(r));
  });
});
