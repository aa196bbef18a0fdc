/**
 * `node scripts/bench/heap-probe.cjs <pid>`: the heap a running Node process keeps after a full garbage
 * collection. Opens its inspector (SIGUSR1, on 127.0.0.1:9229), asks V8 to collect garbage twice, prints
 * `{"usedBytes":…,"totalBytes":…,"externalBytes":…,"arrayBuffersBytes":…}` (the JS heap in use and reserved,
 * and the memory of Buffers and other objects held outside the heap) and closes the inspector again. RSS says what a process holds from the system;
 * this says what it still uses, so that a growth per channel can be told from heap left to grow.
 */
const { openInspector } = require('./inspector-session.cjs');

async function main() {
  const pid = Number(process.argv[2]);
  if (!Number.isInteger(pid) || pid <= 0 || process.argv.includes('--help')) {
    console.error('usage: node scripts/bench/heap-probe.cjs <pid>');
    process.exit(process.argv.includes('--help') ? 0 : 2);
  }
  const { call, close } = await openInspector(pid);
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
  await close();
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
