/**
 * OTLP/HTTP export: the service run as a process with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans to that
 * collector (here a plain HTTP server on 127.0.0.1 that keeps what it is sent) as OTLP JSON, named by
 * OTEL_SERVICE_NAME, and the batch pending at SIGTERM is sent before the process exits.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '../../..');

interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { name: string; traceId: string; attributes: { key: string }[] }[] }[];
  }[];
}

test('spans go to the OTLP endpoint as JSON, under the service name, flushed at SIGTERM', async () => {
  const received: { path: string; type: string; body: OtlpExport }[] = [];
  const collector: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(text) as OtlpExport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const collectorPort = await new Promise<number>((r) =>
    collector.listen(0, '127.0.0.1', () => r((collector.address() as { port: number }).port)),
  );
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'services/random-number/src/main.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      PAYMENT: 'off',
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_SERVICE_NAME: 'rn-traced',
      CHANPAY_TRACE_FILE: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    let res: Response | null = null;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/randomNumber`).catch(() => null);
      if (!res) await new Promise((r) => setTimeout(r, 200));
    }
    expect([res?.status, stderr.slice(0, 500)]).toEqual([200, expect.any(String)]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    collector.close();
  }
  expect(received.length).toBeGreaterThan(0);
  // Traces only (no metrics or logs export), as OTLP JSON.
  expect(received.map((r) => [r.path, r.type.split(';')[0]])).toEqual(received.map(() => ['/v1/traces', 'application/json']));
  const resources = received.flatMap((r) => r.body.resourceSpans);
  const names = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
  expect(names).toEqual(expect.arrayContaining(['GET /randomNumber', 'chanpay.handler']));
  for (const r of resources) expect(r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).toBe('rn-traced');
});
