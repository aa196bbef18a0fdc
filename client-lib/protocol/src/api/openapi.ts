import { z, type ZodType } from 'zod';
import { API_ROUTES } from './routes';
import { ErrorResponse } from './responses';

/** The OpenAPI 3.1 document of the API table: request and response schemas as JSON Schema. */
export function buildOpenApi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const input = (s: ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  const output = (s: ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });
  for (const r of API_ROUTES) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = input(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
      }
    }
    const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    (paths[path] ??= {})[r.method] = {
      operationId: r.name,
      summary: r.summary,
      ...(r.auth ? {} : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: input(r.body) } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: {
          description: 'success',
          content: { [r.contentType ?? 'application/json']: { schema: output(r.response) } },
        },
        '4XX': { description: 'client error', content: errorContent },
        '503': { description: 'the Ethereum node is unreachable', content: errorContent },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'chanpay payment server',
      version,
      description: 'Payment channels for per-call payments between services. See docs/api.md.',
    },
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: output(ErrorResponse) } },
    paths,
  };
}
