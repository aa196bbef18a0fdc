import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTopology, type RunningTopology } from '@chanpay/topology';
import { buildIfNeeded, DIST_DIR, VISUALIZER_DIR } from '../server/build';
import { startStaticServer, type StaticServer } from '../server/static-server';

/**
 * The page on a generated network of twelve services (`ba:12,7`, run as processes by the topology builder, every
 * call paid and claimed): every service and channel is drawn, and no two services or their labels overlap. With
 * UPDATE_SCREENSHOT=1 it saves the screenshot docs/visualizer.md shows (docs/images/visualizer-ba12.png).
 */
const CHROMIUM = process.env.CHANPAY_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(VISUALIZER_DIR, '..', 'docs', 'images', 'visualizer-ba12.png')
  : join(tmpdir(), `chanpay-visualizer-ba12-${process.pid}.png`);
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  process.stderr.write(`visualizer topology e2e skipped: ${CHROMIUM} is missing (bash .ci/setup-chromium.sh installs it)\n`);
const describeWithBrowser = hasChromium ? describe : describe.skip;

jest.setTimeout(180_000);

interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

describeWithBrowser('visualizer on a generated twelve-service network', () => {
  let net: RunningTopology;
  let site: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    net = await startTopology('ba:12,7', {
      freePorts: true,
      dataDir: join(tmpdir(), `chanpay-visualizer-ba12-${process.pid}`),
      claimIntervalSeconds: 0,
    });
    for (let i = 1; i <= 4; i++) {
      const res = await fetch(net.entries[0]!.url, { headers: { 'x-request-id': String(i) } });
      if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status} ${await res.text()}`);
    }
    // Claimed on chain, so that the page (reading the chain only) shows what flowed on every edge.
    for (const s of net.topology.services.filter((x) => x.providerMode !== 'off'))
      await (await fetch(`${net.urls.services[s.name]}/redeem`)).text();
    await buildIfNeeded({ quiet: true });
    site = await startStaticServer({ root: DIST_DIR, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(msg.text()));
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await net?.stop();
  });

  test('draws every service and every paid edge, named, with what flowed', async () => {
    const names = [...net.accounts.values()].map((a) => `${a.address}:${a.service}`).join(',');
    await page.goto(`${site.url}/?rpc=${encodeURIComponent(net.urls.chain!)}&contract=${net.contract}&names=${encodeURIComponent(names)}`);
    const edges = page.locator('[data-testid="graph"] g.edge');
    await edges.nth(net.topology.edges.length - 1).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="graph"] g.edge:not(.edge-idle)').length === n,
      net.topology.edges.length,
      { timeout: 30_000 },
    );
    expect(await edges.count()).toBe(11);
    const labels = await page.locator('[data-testid="graph"] .node-label').allTextContents();
    expect(labels.sort()).toEqual(net.topology.services.map((s) => s.name).sort());
    // Every edge carries 4 calls at 1 gwei: all flows equal.
    expect(new Set(await edges.evaluateAll((els) => els.map((e) => e.getAttribute('data-flow')))).size).toBe(1);
  });

  test('no two services, nor their names and addresses, overlap; every edge label is clear of the services', async () => {
    const boxes = await page.locator('[data-testid="graph"] g.node').evaluateAll((els) =>
      els.map((g) => {
        const b = (g as SVGGraphicsElement).getBBox();
        const t = (g as SVGGElement).transform.baseVal.consolidate()!.matrix;
        return { label: g.querySelector('.node-label')!.textContent!, x: b.x + t.e, y: b.y + t.f, width: b.width, height: b.height };
      }),
    );
    const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const clashes = boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter((b) => overlap(a, b))
        .map((b) => `${a.label}/${b.label}`),
    );
    expect(clashes).toEqual([]);
    const circles = await page.locator('[data-testid="graph"] g.node').evaluateAll((els) =>
      els.map((g) => {
        const t = (g as SVGGElement).transform.baseVal.consolidate()!.matrix;
        return { x: t.e, y: t.f, r: Number(g.querySelector('circle')!.getAttribute('r')) };
      }),
    );
    const edgeLabels = await page
      .locator('[data-testid="graph"] .edge-label')
      .evaluateAll((els) => els.map((e) => ({ x: Number(e.getAttribute('x')), y: Number(e.getAttribute('y')) })));
    for (const l of edgeLabels) for (const c of circles) expect(Math.hypot(l.x - c.x, l.y - c.y)).toBeGreaterThan(c.r);
  });

  test('has no script errors, and takes a screenshot of the graph (the one in the docs with UPDATE_SCREENSHOT=1)', async () => {
    await page.locator('[data-testid="graph"]').screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
