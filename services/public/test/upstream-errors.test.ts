import Koa from 'koa';
import { listen } from '@chanpay/client-lib';
import { upstreamClient } from '@chanpay/client-lib/service-kit';
import { createPublicApp } from '../src/index';

/** A stand-in upstream that answers every request with this status and body. */
async function upstream(status: number, body: unknown) {
  const app = new Koa();
  app.use((ctx) => {
    ctx.status = status;
    ctx.body = body;
  });
  return listen(app, 0);
}

async function action(rnUrl: string, psUrl: string) {
  const app = createPublicApp(
    { payment: { mode: 'off' }, randomNumberUrl: rnUrl, persistenceUrl: psUrl, upstreamTimeoutMs: 5_000 },
    upstreamClient({ mode: 'off', timeoutMs: 5_000 }),
  );
  const http = await listen(app, 0);
  try {
    const res = await fetch(`${http.url}/action`);
    return { status: res.status, body: (await res.json()) as { error: { code: string; details: { step: string } } } };
  } finally {
    await http.close();
  }
}

describe('public /action: how upstream failures are answered', () => {
  test('an upstream 503 stays a 503 with the upstream\'s stable code ("try again later"), other failures are 502', async () => {
    const ok = await upstream(200, { number: 7 });
    const unavailable = await upstream(503, { error: { code: 'PAYMENT_SERVER_UNAVAILABLE', message: 'down' } });
    const plain503 = await upstream(503, 'busy');
    const broken = await upstream(500, { error: { code: 'INTERNAL', message: 'x' } });
    try {
      const a = await action(ok.url, unavailable.url);
      expect(a.status).toBe(503);
      expect(a.body.error).toMatchObject({ code: 'PAYMENT_SERVER_UNAVAILABLE', details: { step: 'persistence' } });
      const b = await action(plain503.url, ok.url);
      expect(b.status).toBe(503);
      expect(b.body.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', details: { step: 'randomNumber' } });
      const c = await action(ok.url, broken.url);
      expect(c.status).toBe(502);
      expect(c.body.error.code).toBe('UPSTREAM_ERROR');
    } finally {
      for (const s of [ok, unavailable, plain503, broken]) await s.close();
    }
  });
});
