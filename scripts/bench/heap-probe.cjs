/**
 * `node scripts/bench/heap-probe.cjs <pid>`: the heap a running Node process keeps after a full garbage
 * collection. Opens its inspector (SIGUSR1, on 127.0.0.1:9229), asks V8 to collect garbage twice, prints
 * `{"usedBytes":…,"totalBytes":…,"externalBytes":…,"arrayBuffersBytes":…}` (the JS heap in use and reserved,
 * and the memory of Buffers and other objects held outside the heap) and closes the inspector again. RSS says what a process holds from the system;
 * this says what it still uses, so that a growth per channel can be told from heap left to grow.
 */
const WebSocket = require('ws');

const PORT = 9229;

async function main() {
  const pid = Number(process.argv[2]);
  if (!Number.isInteger(pid) || pid <= 0 || process.argv.includes('--help')) {
    console.error('usage: node scripts/bench/heap-probe.cjs <pid>');
    process.exit(process.argv.includes('--help') ? 0 : 2);
  }
  process.kill(pid, 'SIGUSR1');
  let targets;
  for (let i = 0; i < 50 && !targets; i++) {
    await new Promise((r) => setTimeout(r, 100));
    targets = await fetch(`http://127.0.0.1:${PORT}/json/list`)
      .then((r) => r.json())
      .catch(() => undefined);
  }
  if (!targets?.[0]) throw new Error(`no inspector on 127.0.0.1:${PORT} for process ${pid}`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  let id = 0;
  const pending = new Map();
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  ws.on('message', (m) => {
    const d = JSON.parse(String(m));
    pending.get(d.id)?.(d.result);
    pending.delete(d.id);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await call('HeapProfiler.collectGarbage');
  await call('HeapProfiler.collectGarbage');
  const usage = await call('Runtime.getHeapUsage');
  const outside = await call('Runtime.evaluate', {
    expression: 'JSON.stringify(process.memoryUsage())',
    returnByValue: true,
  });
  const { external, arrayBuffers } = JSON.parse(outside.result.value);
  console.log(
    JSON.stringify({ usedBytes: usage.usedSize, totalBytes: usage.totalSize, externalBytes: external, arrayBuffersBytes: arrayBuffers }),
  );
  // Closing the inspector from inside frees the port for the next process; the answer never comes.
  ws.send(
    JSON.stringify({ id: ++id, method: 'Runtime.evaluate', params: { expression: "process.getBuiltinModule('node:inspector').close()" } }),
  );
  await new Promise((r) => setTimeout(r, 300));
  ws.terminate();
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
