import { API_ROUTES, buildOpenApi } from '@chanpay/protocol';
import type { FuzzRoute, JsonSchema } from './api-fuzz';

interface OpenApiParam {
  name: string;
  in: 'path' | 'query';
  schema: JsonSchema;
}

/**
 * Every endpoint of the payment server with the JSON schemas of its inputs, from the server's own route table
 * (`API` in @chanpay/protocol) and the OpenAPI document built from it: a new endpoint is fuzzed as soon as it is added there.
 */
export function paymentServerRoutes(): FuzzRoute[] {
  const doc = buildOpenApi('fuzz') as unknown as {
    paths: Record<
      string,
      Record<string, { parameters?: OpenApiParam[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
    >;
  };
  return API_ROUTES.map((r) => {
    const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method];
    if (!op) throw new Error(`no OpenAPI operation for ${r.method} ${r.path}`);
    const group = (where: 'path' | 'query'): JsonSchema | undefined => {
      const ps = (op.parameters ?? []).filter((p) => p.in === where);
      return ps.length ? { type: 'object', properties: Object.fromEntries(ps.map((p) => [p.name, p.schema])) } : undefined;
    };
    return {
      method: r.method,
      path: r.path,
      auth: r.auth,
      params: group('path'),
      query: group('query'),
      body: op.requestBody?.content['application/json']?.schema,
    };
  });
}
