import { startAnvil, startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { buildScenario, TOKENS, type Scenario } from './helpers/scenario';

/**
 * What the page needs from the servers it talks to: the browser sends a preflight before each JSON-RPC POST
 * (content-type: application/json) and before each payment server GET (authorization header).
 */
const PAGE_ORIGIN = 'http://127.0.0.1:8090';

async function preflight(url: string, method: string, headers: string) {
  const res = await fetch(url, {
    method: 'OPTIONS',
    headers: { origin: PAGE_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
  return {
    status: res.status,
    origin: res.headers.get('access-control-allow-origin'),
    headers: (res.headers.get('access-control-allow-headers') ?? '').toLowerCase(),
    methods: (res.headers.get('access-control-allow-methods') ?? '').toUpperCase(),
  };
}

describe.each([
  ['ganache', () => startEmbeddedChain({ accounts: 1 })],
  ['anvil', () => startAnvil({ accounts: 1 })],
] as const)('%s allows the page’s origin', (_node, start) => {
  let chain: EmbeddedChain;
  beforeAll(async () => void (chain = await start()));
  afterAll(async () => chain?.stop());

  test('preflight and JSON-RPC POST', async () => {
    const pre = await preflight(chain.rpcUrl, 'POST', 'content-type');
    expect(pre.status).toBeLessThan(300);
    expect([PAGE_ORIGIN, '*']).toContain(pre.origin);
    expect(pre.headers).toContain('content-type');
    expect(pre.methods).toContain('POST');
    const res = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { origin: PAGE_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
    });
    expect([PAGE_ORIGIN, '*']).toContain(res.headers.get('access-control-allow-origin'));
  });
});

describe('payment server allows the configured page origin only', () => {
  let chain: EmbeddedChain;
  let scenario: Scenario;
  beforeAll(async () => {
    chain = await startEmbeddedChain({ accounts: 3 });
    scenario = await buildScenario(chain, { corsOrigins: [PAGE_ORIGIN] });
  });
  afterAll(async () => {
    await scenario?.stop();
    await chain?.stop();
  });

  test('preflight of an authorized GET, and the GET itself', async () => {
    const pre = await preflight(`${scenario.server.url}/channels`, 'GET', 'authorization');
    expect(pre).toMatchObject({ status: 204, origin: PAGE_ORIGIN });
    expect(pre.headers).toContain('authorization');
    expect(pre.methods).toContain('GET');
    for (const path of ['/status', '/config', '/channels?windows=30']) {
      const res = await fetch(scenario.server.url + path, {
        headers: { origin: PAGE_ORIGIN, authorization: `Bearer ${TOKENS.dashboard}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
    }
  });

  test('another origin gets no CORS headers, so its page cannot read the API', async () => {
    const res = await fetch(`${scenario.server.url}/status`, { headers: { origin: 'http://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${scenario.server.url}/channels`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
