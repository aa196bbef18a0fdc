import fc from 'fast-check';

/**
 * Arbitraries for HTTP requests against a route table: paths with arbitrary parameters, query strings, headers,
 * bearer tokens and JSON bodies, both wild and "valid-shaped with wild values" (derived from each route's JSON
 * schema, so a new endpoint or field is fuzzed without touching this file).
 */

export interface FuzzRoute {
  method: string;
  /** Koa-style path with `:name` parameters. */
  path: string;
  auth: boolean;
  /** JSON schemas of the path parameters, the query and the body (from the route's zod schemas). */
  params?: JsonSchema;
  query?: JsonSchema;
  body?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

/** Values that mean something to the server under test (real addresses, channel ids, vouchers, names…). */
export interface Pools {
  addresses: string[];
  channelIds: string[];
  webhookIds: string[];
  accountNames: string[];
  vouchers: string[];
  /** Valid bearer tokens. */
  tokens: string[];
  /** URLs a webhook may point at (only 127.0.0.1). */
  urls: string[];
}

export type AuthKind = 'valid' | 'missing' | 'wrong';

export interface FuzzRequest {
  route: FuzzRoute;
  method: string;
  path: string;
  /** True when the path is the route's own pattern with each parameter percent-encoded (the route must match). */
  pathMatchesRoute: boolean;
  headers: Record<string, string>;
  auth: AuthKind;
  body?: string;
  bodyKind: string;
  /** The parsed body when it is JSON (for guards and reports). */
  json?: unknown;
}

const U256 = (1n << 256n) - 1n;

/** Numbers as strings: what an "amount" field may receive. */
const amountStrings = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '1000000000',
    '5000000000000000',
    '-1',
    '1.5',
    '1e18',
    '0x10',
    ' 1',
    '1 ',
    '01',
    '+1',
    '',
    'NaN',
    'Infinity',
    '١٢',
    '１',
    U256.toString(),
    (U256 + 1n).toString(),
    '9'.repeat(78),
    '9'.repeat(100),
    ((1n << 96n) - 1n).toString(),
    (1n << 96n).toString(),
  ),
  fc.bigInt({ min: 0n, max: U256 }).map(String),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String),
);

const numbers = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1.5,
    59,
    60,
    61,
    600,
    3600,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 + 1,
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, including deep nesting, unicode and big strings. */
export const wildJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: numbers },
  { weight: 1, arbitrary: amountStrings },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, [], {}, '', ' ', '\u0000', '\u202e', '\ufeff', 'x'.repeat(5000), '__proto__'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown) },
);

function mutateHex(s: string): fc.Arbitrary<string> {
  return fc.constantFrom(s.toUpperCase(), '0X' + s.slice(2), s.slice(2), s.slice(0, -1), s + '0', s.slice(0, -1) + 'g', ` ${s}`, `${s}\n`);
}

function pick<T>(xs: T[], fallback: T): fc.Arbitrary<T> {
  return xs.length ? fc.constantFrom(...xs) : fc.constant(fallback);
}

const ADDRESS_RE = /\{40\}/;
const BYTES32_RE = /\{64\}/;

/** Small valid amounts (what a real client sends) and large valid ones. */
const validAmounts = fc.oneof(
  fc.constantFrom('1', '1000000000', '2000000000', '1000000000000'),
  fc.bigInt({ min: 1n, max: 10n ** 13n }).map(String),
  fc.bigInt({ min: 1n, max: U256 }).map(String),
);

/**
 * Values for one field that satisfy its schema as far as we can tell (real addresses, ids, names, vouchers of this
 * server; in-range numbers), so that requests get past validation and reach the business logic.
 */
function validValue(name: string, schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<unknown> | undefined {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && depth < 3) {
    const vs = variants.map((v) => validValue(name, v, pools, depth + 1)).filter((v): v is fc.Arbitrary<unknown> => v !== undefined);
    return vs.length ? fc.oneof(...vs) : undefined;
  }
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (name === 'voucher') return pick(pools.vouchers, '1');
  if (name === 'account') return pick(pools.accountNames, 'nobody');
  if (schema.pattern && ADDRESS_RE.test(schema.pattern)) return pick(pools.addresses, '0x' + '00'.repeat(20));
  if (schema.pattern && BYTES32_RE.test(schema.pattern)) {
    return fc.oneof(
      pick(pools.channelIds, '0x' + '00'.repeat(32)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => '0x' + Buffer.from(b).toString('hex')),
    );
  }
  if (schema.pattern && /\[0-9\]|\\d/.test(schema.pattern)) return validAmounts;
  if (schema.format === 'uri' || name === 'url') return pick(pools.urls, 'http://127.0.0.1:9/');
  if (schema.format === 'uuid') return fc.oneof(pick(pools.webhookIds, '00000000-0000-4000-8000-000000000000'), fc.uuid({ version: 4 }));
  if (type === 'integer' || type === 'number') {
    const min = schema.minimum ?? 1;
    const max = Math.min(schema.maximum ?? 2 ** 31, 2 ** 31);
    return fc.oneof(
      fc.constantFrom(min, max, 60, 600, 3600).filter((n) => n >= min && n <= max),
      fc.integer({ min, max }),
    );
  }
  if (type === 'string')
    return fc
      .string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) })
      .filter((x) => x.length >= (schema.minLength ?? 0));
  if (type === 'array' && schema.items && depth < 3) {
    const item = validValue(name, schema.items, pools, depth + 1);
    return item ? fc.array(item, { minLength: Math.max(1, schema.minItems ?? 1), maxLength: 4 }) : undefined;
  }
  if (type === 'boolean') return fc.boolean();
  if (type === 'object' && schema.properties && depth < 3) return objectFor(schema, pools, 'valid', depth + 1);
  return undefined;
}

/** A value for one field that is wrong in a way the server must notice: mutated, out of range, wrong type. */
function invalidValue(name: string, schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const out: fc.Arbitrary<unknown>[] = [wildJson];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && depth < 3) out.push(...variants.map((v) => invalidValue(name, v, pools, depth + 1)));
  if (schema.enum) out.push(fc.constantFrom('', 'ADMIN', 'open ', 'channel.*', 'Consumer'));
  if (schema.pattern && ADDRESS_RE.test(schema.pattern)) {
    out.push(
      pick(pools.addresses, '0x' + '00'.repeat(20)).chain(mutateHex),
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => '0x' + Buffer.from(b).toString('hex')),
    );
  } else if (schema.pattern && BYTES32_RE.test(schema.pattern)) {
    out.push(pick(pools.channelIds, '0x' + '00'.repeat(32)).chain(mutateHex));
  } else if (schema.pattern && /\[0-9\]|\\d/.test(schema.pattern)) {
    out.push(amountStrings);
  }
  if (schema.format === 'uri' || name === 'url') {
    out.push(
      fc.constantFrom(
        'file:///etc/passwd',
        'javascript:alert(1)',
        'http://',
        'ftp://127.0.0.1/',
        'http://127.0.0.1:0/x',
        '//127.0.0.1/',
        'http://[::1',
        'h'.repeat(3000),
      ),
    );
  }
  if (name === 'account')
    out.push(pick(pools.addresses, '0x'), fc.constantFrom('', 'x'.repeat(65), 'nobody', 'CONSUMER', 'consumer ', '__proto__'));
  if (name === 'voucher') {
    out.push(
      pick(pools.vouchers, '1').map((v) => v.toUpperCase()),
      fc.constantFrom('', '1', '1.....', '1.' + 'x'.repeat(600), 'x'.repeat(5000)),
    );
    out.push(
      pick(pools.vouchers, '1').chain((v) =>
        fc.integer({ min: 0, max: v.length - 1 }).map((i) => v.slice(0, i) + (v[i] === 'a' ? 'b' : 'a') + v.slice(i + 1)),
      ),
    );
  }
  if (type === 'integer' || type === 'number') out.push(numbers, amountStrings);
  if (type === 'string') {
    out.push(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom('', ' ', 'a'.repeat((schema.maxLength ?? 100) + 1), 'a'.repeat(Math.max(0, (schema.minLength ?? 1) - 1))),
    );
  }
  if (type === 'array' && schema.items && depth < 3) {
    const item = fieldValue(name, schema.items, pools, depth + 1);
    out.push(fc.array(item, { maxLength: 4 }), fc.constant([]));
    if (schema.maxItems !== undefined) out.push(item.map((v) => Array.from({ length: (schema.maxItems ?? 0) + 1 }, () => v)));
  }
  if (type === 'object' && schema.properties && depth < 3) out.push(objectFor(schema, pools, 'loose', depth + 1));
  return fc.oneof(...out);
}

/** A value for one field: mostly valid for its schema and name, sometimes wrong. */
export function fieldValue(name: string, schema: JsonSchema, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const valid = validValue(name, schema, pools, depth);
  const invalid = invalidValue(name, schema, pools, depth);
  return valid ? fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: invalid }) : invalid;
}

const EXTRA_KEYS = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'extra', 'privateKey', 'token', 'id', ''),
  fc.string({ maxLength: 10 }),
);

export type ObjectMode = 'valid' | 'one-wrong' | 'loose';

function defineKey(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * An object for a schema. `valid`: every required property and some optional ones, all valid-looking. `one-wrong`:
 * the same with one property replaced by a wrong value, dropped, or an extra key added. `loose`: any subset of the
 * properties with any values, sometimes extra keys.
 */
export function objectFor(schema: JsonSchema, pools: Pools, mode: ObjectMode = 'loose', depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries(schema.properties ?? {});
  const required = new Set(schema.required ?? []);
  if (mode === 'valid') {
    const fields = props.map(([name, s]) => {
      const v = validValue(name, s, pools, depth) ?? fc.constant(undefined);
      return required.has(name)
        ? v.map((x) => [name, x] as const)
        : fc.option(
            v.map((x) => [name, x] as const),
            { freq: 2, nil: undefined },
          );
    });
    return fc.tuple(...fields).map((fs) => {
      const o: Record<string, unknown> = {};
      for (const f of fs) if (f && f[1] !== undefined) defineKey(o, f[0], f[1]);
      return o;
    });
  }
  if (mode === 'one-wrong') {
    const names = props.map(([n]) => n);
    const change = fc.oneof(
      ...(names.length
        ? [
            fc
              .constantFrom(...names)
              .chain((n) =>
                fc.tuple(fc.constant(n), fc.oneof(invalidValue(n, schema.properties![n]!, pools, depth), fc.constant(undefined))),
              ),
          ]
        : []),
      fc.tuple(EXTRA_KEYS, wildJson),
    );
    return fc.tuple(objectFor(schema, pools, 'valid', depth), change).map(([o, [k, v]]) => {
      const copy: Record<string, unknown> = { ...o };
      if (v === undefined) delete copy[k];
      else defineKey(copy, k, v);
      return copy;
    });
  }
  const fields = props.map(([name, s]) =>
    fc.option(
      fieldValue(name, s, pools, depth).map((v) => [name, v] as const),
      { freq: required.has(name) ? 8 : 2, nil: undefined },
    ),
  );
  const extra = fc.option(fc.array(fc.tuple(EXTRA_KEYS, wildJson), { maxLength: 3 }), { freq: 5, nil: undefined });
  return fc.tuple(fc.tuple(...fields), extra).map(([fs, ex]) => {
    const o: Record<string, unknown> = {};
    for (const f of fs) if (f) defineKey(o, f[0], f[1]);
    for (const [k, v] of ex ?? []) defineKey(o, k, v);
    return o;
  });
}

const PATH_SPECIALS = ['', '%', '%zz', '%00', '%2e%2e', '..', '%2F', 'null', 'undefined', '0x', '-1', '%E0%A4%A', '%ff%fe', '~', '*'];

function paramValue(name: string, schema: JsonSchema | undefined, pools: Pools): fc.Arbitrary<{ value: string; encoded: boolean }> {
  const enc = (a: fc.Arbitrary<string>) => a.map((v) => ({ value: encodeURIComponent(v), encoded: true }));
  const plausible = schema
    ? fieldValue(name, schema, pools).map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')))
    : fc.string();
  return fc.oneof(
    { weight: 6, arbitrary: enc(plausible) },
    { weight: 2, arbitrary: enc(fc.string({ unit: 'grapheme', maxLength: 80 })) },
    { weight: 1, arbitrary: enc(fc.constant('a'.repeat(6000))) },
    // Sent raw: odd percent-encodings and dots that the router has to survive.
    { weight: 2, arbitrary: fc.constantFrom(...PATH_SPECIALS).map((v) => ({ value: v, encoded: false })) },
  );
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.chanpay+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  '',
];
/** Headers the node client must manage itself, or that would make a request hang rather than fail. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'authorization',
  'content-type',
  'proxy-authorization',
  'proxy-connection',
  'http2-settings',
  'content-encoding',
]);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !RESERVED_HEADERS.has(n));
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom('1.2.3.4', 'http://evil.example', 'DELETE', 'gzip', 'x'.repeat(10_000), '\u00ff\u00e9', 'Bearer x'),
);
const extraHeaders = fc.oneof(
  { weight: 3, arbitrary: fc.constant({} as Record<string, string>) },
  { weight: 2, arbitrary: fc.dictionary(headerName, headerValue, { maxKeys: 4 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'x-forwarded-for': '10.0.0.1' },
      { origin: 'http://evil.example' },
      { 'x-http-method-override': 'DELETE' },
      { accept: 'text/html' },
      { 'accept-encoding': 'gzip, br' },
      { cookie: 'a=b' },
      { range: 'bytes=0-1' },
    ),
  },
);

function authHeader(pools: Pools): fc.Arbitrary<{ kind: AuthKind; value?: string }> {
  const token = pick(pools.tokens, 'x'.repeat(20));
  return fc.oneof(
    { weight: 6, arbitrary: token.map((t) => ({ kind: 'valid' as const, value: `Bearer ${t}` })) },
    {
      weight: 1,
      arbitrary: token.chain((t) =>
        fc.constantFrom(`bearer ${t}`, `BEARER ${t}`, `Bearer ${t}\t`).map((value) => ({ kind: 'valid' as const, value })),
      ),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'missing' as const }) },
    {
      weight: 3,
      arbitrary: token.chain((t) =>
        fc
          .oneof(
            fc.constantFrom(
              '',
              'Bearer',
              'Bearer ',
              `Bearer  ${t}`,
              `Basic ${Buffer.from(`${t}:`).toString('base64')}`,
              `Token ${t}`,
              t,
              `Bearer ${t}x`,
              `Bearer ${t.slice(0, -1)}`,
              `Bearer ${t.toUpperCase()}`,
              `Bearer ${t},${t}`,
              `Bearer ${'a'.repeat(600)}`,
              `Bearer ${'a'.repeat(10_000)}`,
              `Bearer ${t} ${t}`,
              'Bearer null',
              'Bearer undefined',
              `Bearer\u00a0${t}`,
            ),
            fc.stringMatching(/^[A-Za-z0-9._~+/=-]{1,40}$/).map((w) => `Bearer ${w}`),
          )
          .map((value) => ({ kind: (value === '' ? 'missing' : 'wrong') as AuthKind, value })),
      ),
    },
  );
}

function bodyFor(route: FuzzRoute, pools: Pools): fc.Arbitrary<{ kind: string; body?: string; json?: unknown }> {
  const asJson = (kind: string) => (v: unknown) => ({ kind, body: JSON.stringify(v), json: v });
  const options: { weight: number; arbitrary: fc.Arbitrary<{ kind: string; body?: string; json?: unknown }> }[] = [
    { weight: 2, arbitrary: fc.constant({ kind: 'none' }) },
    { weight: 2, arbitrary: wildJson.map(asJson('any JSON')) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '{',
            '{"a":',
            'null',
            '[]',
            '""',
            'undefined',
            '{"a":1}{"b":2}',
            '\u0000',
            '{"__proto__":{"polluted":1}}',
            '1e999999',
            '[' + '1,'.repeat(20000) + '1]',
          ),
          fc.string({ unit: 'binary', maxLength: 200 }),
        )
        .map((body) => ({ kind: 'raw text', body })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(65 * 1024, 64 * 1024 + 1, 200 * 1024)
        .map((n) => ({ kind: 'oversized', body: JSON.stringify({ x: 'a'.repeat(n) }) })),
    },
  ];
  if (route.body) {
    options.push(
      { weight: 4, arbitrary: objectFor(route.body, pools, 'valid').map(asJson('valid-looking')) },
      { weight: 4, arbitrary: objectFor(route.body, pools, 'one-wrong').map(asJson('one field wrong')) },
      { weight: 3, arbitrary: objectFor(route.body, pools, 'loose').map(asJson('schema-shaped, wild values')) },
    );
  }
  return fc.oneof(...options);
}

function queryFor(route: FuzzRoute, pools: Pools): fc.Arbitrary<string> {
  const shaped = route.query
    ? fc
        .oneof(objectFor(route.query, pools, 'valid'), objectFor(route.query, pools, 'one-wrong'), objectFor(route.query, pools, 'loose'))
        .map((o) => {
          const q = new URLSearchParams();
          for (const [k, v] of Object.entries(o))
            for (const one of Array.isArray(v) ? v : [v]) q.append(k, typeof one === 'string' ? one : (JSON.stringify(one) ?? ''));
          const s = q.toString();
          return s ? `?${s}` : '';
        })
    : fc.constant('');
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: route.query ? 6 : 0, arbitrary: shaped },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
        .map((d) => `?${new URLSearchParams(d).toString()}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '?&&',
        '?a',
        '?%zz=1',
        '?windows=1e3',
        '?windows=-0',
        '?windows=0x10',
        '?role[]=x',
        '?__proto__[x]=1',
        '?constructor=1',
        `?${'a=1&'.repeat(2000)}`,
      ),
    },
  );
}

/** Requests aimed at one route: its method mostly, other methods sometimes. */
export function requestFor(route: FuzzRoute, pools: Pools): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = fc.tuple(...names.map((n) => paramValue(n, route.params?.properties?.[n], pools)));
  return fc
    .record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method.toUpperCase()) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      params,
      query: queryFor(route, pools),
      auth: authHeader(pools),
      headers: extraHeaders,
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      body: bodyFor(route, pools),
    })
    .map(({ method, params, query, auth, headers, contentType, body }) => {
      let i = 0;
      const path = route.path.replace(/:(\w+)/g, () => params[i++]!.value) + query;
      const h: Record<string, string> = { ...headers };
      if (auth.value !== undefined) h.authorization = auth.value;
      if (body.body !== undefined && contentType !== undefined) h['content-type'] = contentType;
      return {
        route,
        method,
        path,
        pathMatchesRoute: params.every((p) => p.encoded && p.value.length > 0),
        headers: h,
        auth: auth.kind,
        body: body.body,
        bodyKind: body.kind,
        json: body.json,
      };
    });
}
