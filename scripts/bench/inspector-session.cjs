/**
 * A DevTools-protocol session with another running Node process, for the heap scripts (heap-probe.cjs,
 * heap-top.cjs): opens its inspector with SIGUSR1 (on 127.0.0.1:9229), connects, and at `close()` closes the
 * inspector from inside again, so that the port is free for the next process.
 */
const WebSocket = require('ws');

const PORT = 9229;

async function debuggerUrl(pid) {
  process.kill(pid, 'SIGUSR1');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const targets = await fetch(`http://127.0.0.1:${PORT}/json/list`)
      .then((r) => r.json())
      .catch(() => undefined);
    if (targets?.[0]) return targets[0].webSocketDebuggerUrl;
  }
  throw new Error(`no inspector on 127.0.0.1:${PORT} for process ${pid}`);
}

/** `onEvent(method, params)` gets the protocol's events (messages without an id). */
async function openInspector(pid, { onEvent = () => {}, maxPayload } = {}) {
  const ws = new WebSocket(await debuggerUrl(pid), maxPayload ? { maxPayload } : undefined);
  let id = 0;
  const pending = new Map();
  ws.on('message', (m) => {
    const d = JSON.parse(String(m));
    if (d.id === undefined) return onEvent(d.method, d.params);
    pending.get(d.id)?.(d.result);
    pending.delete(d.id);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  const close = async () => {
    // The answer never comes: the inspector closes under it.
    ws.send(
      JSON.stringify({
        id: ++id,
        method: 'Runtime.evaluate',
        params: { expression: "process.getBuiltinModule('node:inspector').close()" },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    ws.terminate();
  };
  return { call, close };
}

module.exports = { openInspector };
