// Container health probe, in plain JS so it starts fast and needs no curl or wget in the image:
//   node docker/healthcheck.js <url>        healthy when GET <url> answers 2xx
//   node docker/healthcheck.js <url> rpc    healthy when <url> answers the JSON-RPC call eth_chainId

const [url, kind] = process.argv.slice(2);
const rpc = kind === 'rpc';
const init = rpc
  ? {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    }
  : {};
fetch(url, { ...init, signal: AbortSignal.timeout(2500) })
  .then(async (res) => {
    if (!res.ok) throw new Error(`status ${res.status}`);
    if (rpc && !(await res.json()).result) throw new Error('no chain id');
    process.exit(0);
  })
  .catch((e) => {
    console.error(`unhealthy: ${url}: ${e.message}`);
    process.exit(1);
  });
