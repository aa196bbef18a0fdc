/**
 * The dependency direction (.dependency-cruiser.cjs, docs/contributing.md): the repository keeps it, and each
 * rule catches the import it is there to forbid (on a small tree of the same layout, built here).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CRUISED = ['client-lib', 'payment-server', 'services', 'scripts', 'visualizer', 'integration-tests'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: 'error' | 'warn' | 'info' };
}
interface CruiseResult {
  modules: { source: string }[];
  summary: { violations: Violation[] };
}

function cruise(cwd: string, dirs: string[]): CruiseResult {
  const run = spawnSync(process.execPath, [DEPCRUISE, ...dirs, '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (!run.stdout) throw new Error(`depcruise printed nothing (exit ${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as CruiseResult;
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

describe('dependency direction', () => {
  test('the repository breaks no rule', () => {
    const result = cruise(ROOT, CRUISED);
    const sources = result.modules.map((m) => m.source);
    for (const dir of [
      'client-lib/telemetry/src/',
      'client-lib/protocol/src/',
      'client-lib/src/',
      'payment-server/src/',
      'services/public/src/',
      'visualizer/src/',
      'scripts/devkit/src/',
    ]) {
      expect(sources.some((s) => s.startsWith(dir))).toBe(true);
    }
    const errors = result.summary.violations.filter((v) => v.rule.severity === 'error').map(describeViolation);
    expect(errors).toEqual([]);
  });

  describe('each rule catches what it forbids', () => {
    let fixture: string;
    let found: Map<string, string[]>;

    /** Files of a repository of the same layout and the rules each one breaks. */
    const FILES: Record<string, { code: string; breaks: string[] }> = {
      'client-lib/protocol/src/index.ts': { code: 'export const ok = 1;', breaks: [] },
      'client-lib/protocol/src/uses-fs.ts': { code: "import 'node:fs';", breaks: ['protocol-root-is-browser-safe'] },
      'client-lib/protocol/src/uses-node-entry.ts': { code: "import './node/index';", breaks: ['protocol-root-not-node-entry'] },
      'client-lib/protocol/src/uses-sdk.ts': { code: "import '@chanpay/client-lib';", breaks: ['protocol-imports-no-workspace'] },
      'client-lib/protocol/src/node/index.ts': { code: "import 'node:crypto'; import '../index';", breaks: [] },
      'client-lib/src/index.ts': {
        code: "import '@chanpay/protocol'; import '@chanpay/protocol/node'; import '@chanpay/telemetry';",
        breaks: [],
      },
      'client-lib/src/uses-server.ts': { code: "import '@chanpay/payment-server';", breaks: ['client-lib-imports-protocol-only'] },
      'client-lib/src/consumer/pay.ts': { code: "import '../provider/charge';", breaks: ['consumer-does-not-import-provider'] },
      'client-lib/src/provider/charge.ts': { code: "import '../index';", breaks: [] },
      'payment-server/src/index.ts': { code: "import '@chanpay/protocol'; import '@chanpay/telemetry';", breaks: [] },
      'client-lib/telemetry/src/index.ts': { code: 'export const ok = 1;', breaks: [] },
      'client-lib/telemetry/src/uses-protocol.ts': { code: "import '@chanpay/protocol';", breaks: ['telemetry-imports-no-workspace'] },
      'client-lib/protocol/src/uses-telemetry.ts': { code: "import '@chanpay/telemetry';", breaks: ['protocol-imports-no-workspace'] },
      'visualizer/src/uses-telemetry.ts': { code: "import '@chanpay/telemetry';", breaks: ['visualizer-page-imports-protocol-only'] },
      'payment-server/src/uses-sdk.ts': { code: "import '@chanpay/client-lib';", breaks: ['payment-server-imports-protocol-only'] },
      'payment-server/src/uses-devkit.ts': { code: "import '@chanpay/devkit';", breaks: ['product-code-does-not-import-devkit'] },
      'payment-server/src/chain/dev-chain.ts': { code: "export const load = () => require('@chanpay/devkit');", breaks: [] },
      'services/public/src/index.ts': { code: "import '@chanpay/client-lib'; import '@chanpay/protocol';", breaks: [] },
      'services/public/src/uses-server.ts': {
        code: "import '@chanpay/payment-server';",
        breaks: ['services-import-client-lib-and-protocol-only'],
      },
      'services/public/src/uses-service.ts': {
        code: "import '../../random-number/src/index';",
        breaks: ['services-do-not-import-each-other', 'no-relative-path-into-another-service-src'],
      },
      'services/random-number/src/index.ts': { code: 'export {};', breaks: [] },
      'visualizer/src/main.ts': { code: "import '@chanpay/protocol';", breaks: [] },
      'visualizer/src/uses-path.ts': { code: "import 'node:path';", breaks: ['visualizer-page-no-node-modules'] },
      'visualizer/src/uses-server.ts': { code: "import '@chanpay/payment-server';", breaks: ['visualizer-page-imports-protocol-only'] },
      'scripts/devkit/src/index.ts': { code: "import type {} from '@chanpay/payment-server'; import '@chanpay/protocol';", breaks: [] },
      'scripts/devkit/src/uses-server.ts': { code: "import '@chanpay/payment-server';", breaks: ['devkit-no-product-code-at-run-time'] },
      'scripts/tool.ts': { code: "import '@chanpay/payment-server'; import '@chanpay/devkit';", breaks: [] },
      'scripts/deep.ts': { code: "import '../payment-server/src/index';", breaks: ['no-relative-path-into-payment-server-src'] },
      'scripts/broken.ts': { code: "import './missing';", breaks: ['no-unresolvable-import'] },
    };
    const PACKAGES: Record<string, { dir: string; exports: Record<string, string> }> = {
      '@chanpay/protocol': { dir: 'client-lib/protocol', exports: { '.': './src/index.ts', './node': './src/node/index.ts' } },
      '@chanpay/client-lib': { dir: 'client-lib', exports: { '.': './src/index.ts' } },
      '@chanpay/telemetry': { dir: 'client-lib/telemetry', exports: { '.': './src/index.ts' } },
      '@chanpay/payment-server': { dir: 'payment-server', exports: { '.': './src/index.ts' } },
      '@chanpay/devkit': { dir: 'scripts/devkit', exports: { '.': './src/index.ts' } },
      '@chanpay/service-public': { dir: 'services/public', exports: { '.': './src/index.ts' } },
      '@chanpay/service-random-number': { dir: 'services/random-number', exports: { '.': './src/index.ts' } },
      '@chanpay/visualizer': { dir: 'visualizer', exports: {} },
    };

    beforeAll(() => {
      fixture = mkdtempSync(path.join(tmpdir(), 'chanpay-deps-'));
      const write = (rel: string, text: string) => {
        mkdirSync(path.dirname(path.join(fixture, rel)), { recursive: true });
        writeFileSync(path.join(fixture, rel), text);
      };
      write('package.json', JSON.stringify({ name: 'fixture', private: true, workspaces: Object.values(PACKAGES).map((p) => p.dir) }));
      for (const [name, { dir, exports }] of Object.entries(PACKAGES)) {
        write(`${dir}/package.json`, JSON.stringify({ name, version: '0.0.0', exports }));
        mkdirSync(path.join(fixture, 'node_modules/@chanpay'), { recursive: true });
        symlinkSync(path.join(fixture, dir), path.join(fixture, 'node_modules', name), 'dir');
      }
      for (const [rel, { code }] of Object.entries(FILES)) write(rel, `${code}\n`);
      write('integration-tests/src/cycle-a.ts', "import './cycle-b';\n");
      write('integration-tests/src/cycle-b.ts', "import './cycle-a';\n");
      found = new Map();
      for (const v of cruise(fixture, CRUISED).summary.violations) found.set(v.from, [...(found.get(v.from) ?? []), v.rule.name]);
    });
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));

    test.each(Object.entries(FILES))('%s', (file, { breaks }) => {
      expect([...new Set(found.get(file) ?? [])].sort()).toEqual([...breaks].sort());
    });

    test('an import cycle in product code (reported once, at one of its files)', () => {
      const cycle = ['integration-tests/src/cycle-a.ts', 'integration-tests/src/cycle-b.ts'].flatMap((f) => found.get(f) ?? []);
      expect(cycle).toEqual(['no-circular-product-code']);
    });
  });
});
