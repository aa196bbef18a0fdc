const WebSocket = require('ws');
(async () => {
  const pid = Number(process.argv[2]);
  process.kill(pid, 'SIGUSR1');
  let t; for (let i = 0; i < 50 && !t; i++) { await new Promise((r) => setTimeout(r, 100)); t = await fetch('http://127.0.0.1:9229/json/list').then((r) => r.json()).catch(() => undefined); }
  const ws = new WebSocket(t[0].webSocketDebuggerUrl);
  await new Promise((r) => ws.once('open', r));
  const send = (id, method, params) => new Promise((res) => { ws.on('message', (m) => { const d = JSON.parse(String(m)); if (d.id === id) res(d.result); }); ws.send(JSON.stringify({ id, method, params })); });
  const r = await send(1, 'Runtime.evaluate', { expression: process.argv[3], returnByValue: true });
  console.log(r.result.value ?? JSON.stringify(r));
  ws.send(JSON.stringify({ id: 2, method: 'Runtime.evaluate', params: { expression: "process.getBuiltinModule('node:inspector').close()" } }));
  await new Promise((r) => setTimeout(r, 300)); ws.terminate();
})();
