import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTopology, type RunningTopology } from '@chanpay/topology';
import { buildIfNeeded, DIST_DIR, VISUALIZER_DIR } from '../server/build';
import { startStaticServer, type StaticServer } from '../server/static-server';

/**
 * The cost view in headless Chromium on the diamond (front-a → shared ← front-b, shared → back) in remote mode,
 * run as processes: connected to shared's payment server with shared's token, the page shows for each origin
 * the calls it made to shared and what shared paid back for them, to the wei. With UPDATE_SCREENSHOT=1 it saves
 * the screenshot docs/observability.md shows (docs/images/cost-view.png).
 */
const CHROMIUM = process.env.CHANPAY_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(VISUALIZER_DIR, '..', 'docs', 'images', 'cost-view.png')
  : join(tmpdir(), `chanpay-cost-view-${process.pid}.png`);
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  process.stderr.write(`visualizer cost view e2e skipped: ${CHROMIUM} is missing (bash .ci/setup-chromium.sh installs it)\n`);
const describeWithBrowser = hasChromium ? describe : describe.skip;

jest.setTimeout(180_000);

const CALLS = { 'front-a': 3, 'front-b': 2 } as const;

describeWithBrowser('visualizer cost view on the diamond', () => {
  let net: RunningTopology;
  let site: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildIfNeeded({ quiet: true });
    site = await startStaticServer({ root: DIST_DIR, port: 0 });
    net = await startTopology('diamond', {
      overrides: { mode: 'remote' },
      freePorts: true,
      dataDir: join(tmpdir(), `chanpay-cost-view-${process.pid}`),
      claimIntervalSeconds: 0,
      env: { PS_CORS_ORIGINS: site.url },
    });
    for (const [entry, n] of Object.entries(CALLS))
      for (let i = 1; i <= n; i++) {
        const res = await fetch(`${net.urls.services[entry]}/work`, { headers: { 'x-request-id': `${entry}-${i}` } });
        if (res.status !== 200) throw new Error(`${entry} request ${i}: HTTP ${res.status} ${await res.text()}`);
      }
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

  test("with shared's token: per origin, its calls to shared and, below them, what shared paid back, to the wei", async () => {
    const shared = net.topology.services.find((s) => s.name === 'shared')!;
    const team = net.topology.teams.find((t) => t.name === shared.team)!;
    const names = [...net.accounts.values()].map((a) => `${a.address}:${a.service}`).join(',');
    const server = net.urls.paymentServers[team.paymentServer.name]!;
    await page.goto(
      `${site.url}/?rpc=${encodeURIComponent(net.urls.chain!)}&contract=${net.contract}&server=${encodeURIComponent(server)}&names=${encodeURIComponent(names)}`,
    );
    await page.fill('#token', net.accountOfService('shared')!.token);
    await page.click('#settings button[type="submit"]');
    const edges = page.locator('[data-testid="cost-edge"]');
    await edges.nth(3).waitFor({ timeout: 30_000 });
    const price = (name: string) => net.topology.services.find((s) => s.name === name)!.price;
    const rows = await edges.evaluateAll((els) =>
      els.map((e) => ({
        origin: e.getAttribute('data-origin'),
        text: Array.from(e.querySelectorAll('.address .name'), (n) => n.textContent).join(' → '),
        calls: Number(e.getAttribute('data-calls')),
        amount: e.querySelector('[data-amount]')!.getAttribute('data-amount'),
        depth: (() => {
          let d = 0;
          for (let p = e.parentElement; p && !p.classList.contains('cost-tree'); p = p.parentElement) if (p.tagName === 'UL') d++;
          return d;
        })(),
      })),
    );
    expect(rows).toEqual([
      { origin: 'front-a', text: 'front-a → shared', calls: 3, amount: String(3n * price('shared')), depth: 0 },
      { origin: 'front-a', text: 'shared → back', calls: 3, amount: String(3n * price('back')), depth: 1 },
      { origin: 'front-b', text: 'front-b → shared', calls: 2, amount: String(2n * price('shared')), depth: 0 },
      { origin: 'front-b', text: 'shared → back', calls: 2, amount: String(2n * price('back')), depth: 1 },
    ]);
    // The token stays out of the URL.
    expect(page.url()).not.toContain(net.accountOfService('shared')!.token);
  });

  test('has no script errors, and takes a screenshot of the cost view (the one in the docs with UPDATE_SCREENSHOT=1)', async () => {
    await page.locator('#costs-panel').screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(5_000);
    expect(pageErrors).toEqual([]);
  });
});
