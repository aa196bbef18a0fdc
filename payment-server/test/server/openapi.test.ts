import path from 'node:path';
import { z } from 'zod';
import { API_ROUTES } from '@chanpay/protocol';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { api, startServer, tempDir } from './harness';

interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

describe('GET /openapi.json (ganache)', () => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  const http = api(() => server.url);

  beforeAll(async () => {
    chain = await startEmbeddedChain({ accounts: 3 });
    server = await startServer(chain, path.join(tempDir(), 'ps.db'));
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  test('answers without a token (it holds no secret), and with a bad one', async () => {
    const open = await http.call('GET', '/openapi.json', null);
    expect(open.status).toBe(200);
    expect(open.body.openapi).toBe('3.1.0');
    expect((await http.call('GET', '/openapi.json', 'not-a-token-of-this-server')).status).toBe(200);
  });

  test('has one operation per API table entry, each with its response schema, and no other', async () => {
    const doc = (await http.call('GET', '/openapi.json', null)).body as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path: p, method, op })),
    );
    expect(operations.map((o) => o.op.operationId).sort()).toEqual(API_ROUTES.map((r) => r.name).sort());
    for (const r of API_ROUTES) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method];
      expect(op?.operationId).toBe(r.name);
      const success = op!.responses[String(r.status ?? 200)];
      const schema = success?.content?.[r.contentType ?? 'application/json']?.schema;
      expect({ route: r.name, schema }).toEqual({
        route: r.name,
        schema: z.toJSONSchema(r.response, { io: 'output', unrepresentable: 'any' }),
      });
      // Public routes say so; the rest inherit the document's bearer requirement.
      expect({ route: r.name, security: op!.security }).toEqual({ route: r.name, security: r.auth ? undefined : [] });
    }
  });
});
