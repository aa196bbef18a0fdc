/**
 * `node scripts/bench/heap-top.cjs <pid> [--top N]`: what a running Node process's heap holds, by kind of
 * object. Opens its inspector (SIGUSR1, 127.0.0.1:9229), takes a heap snapshot (which collects garbage first) and
 * prints the N largest groups (type and constructor or string) by self size, with their counts, then closes the
 * inspector. Run it twice, before and after a load (`npm run bench:memory` holds the network), to see what
 * grows per channel.
 */
const { openInspector } = require('./inspector-session.cjs');

function usage(code) {
  console.error('usage: node scripts/bench/heap-top.cjs <pid> [--top N]');
  process.exit(code);
}

/** Groups the snapshot's nodes by type and name; strings and code by type only (their names are contents). */
function summarize(snapshot, top) {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + iType]];
    const size = snapshot.nodes[i + iSize];
    const byName = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden';
    const key = byName ? `${type} ${snapshot.strings[snapshot.nodes[i + iName]].slice(0, 60)}` : type;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    total += size;
    groups.set(key, g);
  }
  const rows = [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  console.log(`heap snapshot: ${(total / 1024 / 1024).toFixed(1)} MB in ${snapshot.nodes.length / width} objects`);
  console.log(`${'self MB'.padStart(9)} ${'count'.padStart(9)}  kind`);
  for (const [key, g] of rows) console.log(`${(g.bytes / 1024 / 1024).toFixed(2).padStart(9)} ${String(g.count).padStart(9)}  ${key}`);
}

async function main() {
  const pid = Number(process.argv[2]);
  if (process.argv.includes('--help')) usage(0);
  if (!Number.isInteger(pid) || pid <= 0) usage(2);
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  let chunks = [];
  const { call, close } = await openInspector(pid, {
    maxPayload: 1024 * 1024 * 1024,
    onEvent: (method, params) => {
      if (method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(params.chunk);
    },
  });
  await call('HeapProfiler.enable');
  await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  const snapshot = JSON.parse(chunks.join(''));
  chunks = [];
  summarize(snapshot, top);
  await close();
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
