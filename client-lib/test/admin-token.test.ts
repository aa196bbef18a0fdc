import Koa from 'koa';
import { adminTokenFromEnv, errorMiddleware, listen, requireAdmin } from '../src';

describe("the services' admin token", () => {
  test('ADMIN_TOKEN: unset means none; shorter than 16, longer than 512 or non-ASCII characters are refused at start', () => {
    expect(adminTokenFromEnv({})).toBeUndefined();
    expect(adminTokenFromEnv({ ADMIN_TOKEN: '' })).toBeUndefined();
    expect(adminTokenFromEnv({ ADMIN_TOKEN: 'a-token-of-16-ch' })).toBe('a-token-of-16-ch');
    expect(() => adminTokenFromEnv({ ADMIN_TOKEN: 'short' })).toThrow(/16 to 512/);
    expect(() => adminTokenFromEnv({ ADMIN_TOKEN: 'x'.repeat(513) })).toThrow(/16 to 512/);
    expect(() => adminTokenFromEnv({ ADMIN_TOKEN: 'a token with spaces' })).toThrow(/visible ASCII/);
  });

  test('requireAdmin lets through only the bearer token (401 UNAUTHORIZED with www-authenticate otherwise); without a token it is open', async () => {
    const app = new Koa();
    app.use(errorMiddleware());
    app.use(async (ctx, next) =>
      ctx.path === '/open' ? requireAdmin(undefined)(ctx, next) : requireAdmin('the-admin-token-123')(ctx, next),
    );
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const http = await listen(app, 0);
    try {
      const call = (path: string, authorization?: string) =>
        fetch(`${http.url}${path}`, { headers: authorization ? { authorization } : {} });
      expect((await call('/open')).status).toBe(200);
      for (const auth of [undefined, 'Bearer wrong', 'Bearer the-admin-token-1234', 'Basic the-admin-token-123', 'the-admin-token-123']) {
        const res = await call('/guarded', auth);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      }
      expect((await call('/guarded', 'Bearer the-admin-token-123')).status).toBe(200);
      expect((await call('/guarded', 'bearer the-admin-token-123')).status).toBe(200);
    } finally {
      await http.close();
    }
  });
});
