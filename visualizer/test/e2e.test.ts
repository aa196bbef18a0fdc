import { tmpdir } from 'node:os';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { buildIfNeeded, DIST_DIR, VISUALIZER_DIR } from '../server/build';
import { startStaticServer, type StaticServer } from '../server/static-server';
import { buildScenario, TOKENS, type Scenario } from './helpers/scenario';

/**
 * The built page in real headless Chromium (Debian's, driven by playwright-core) against a ganache chain whose
 * channels a real payment server made. With UPDATE_SCREENSHOT=1 it saves the screenshot docs/visualizer.md shows.
 */
/** Debian's chromium; CHANPAY_CHROMIUM points elsewhere (e.g. to check the skip). */
const CHROMIUM = process.env.CHANPAY_CHROMIUM ?? '/usr/bin/chromium';
// The documentation's screenshot is rewritten only on request (UPDATE_SCREENSHOT=1), so that a test run leaves the
// working tree as it was; otherwise the screenshot goes to a temporary file and is still checked.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(VISUALIZER_DIR, '..', 'docs', 'images', 'visualizer.png')
  : join(tmpdir(), `chanpay-visualizer-${process.pid}.png`);
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) process.stderr.write(`visualizer e2e skipped: ${CHROMIUM} is missing (bash .ci/setup-chromium.sh installs it)\n`);
const describeWithBrowser = hasChromium ? describe : describe.skip;

describeWithBrowser(`visualizer in headless Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} is missing)`}`, () => {
  let site: StaticServer;
  let chain: EmbeddedChain;
  let scenario: Scenario;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildIfNeeded({ quiet: true });
    site = await startStaticServer({ root: DIST_DIR, port: 0 });
    chain = await startEmbeddedChain({ accounts: 3 });
    scenario = await buildScenario(chain, { corsOrigins: [site.url] });
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
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await scenario?.stop();
    await chain?.stop();
    await site?.close();
  });

  const row = (id: string) => page.locator(`tr[data-channel-id="${id}"]`);
  const amountIn = (id: string, field: string) => row(id).locator(`[data-field="${field}"]`).getAttribute('data-amount');

  test('shows the channels found from the contract’s events, and the payment graph', async () => {
    const url = `${site.url}/?rpc=${encodeURIComponent(chain.rpcUrl)}&server=${encodeURIComponent(scenario.server.url)}`;
    await page.goto(url);
    await page.locator('[data-testid="channels"] tbody tr').nth(3).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="channels"] tbody tr').count()).toBe(4);
    await expect(page.locator('.status').getAttribute('data-phase')).resolves.toBe('live');

    for (const want of Object.values(scenario.channels)) {
      expect(await row(want.id).getAttribute('data-state')).toBe(want.state);
      expect(await row(want.id).locator('[data-field="state"]').textContent()).toBe(want.state);
      expect(await amountIn(want.id, 'deposit')).toBe(want.deposit.toString());
      expect(await amountIn(want.id, 'claimed')).toBe(want.claimed.toString());
    }
    expect(await row(scenario.channels.a.id).locator('[data-field="deposit"]').textContent()).toBe('0.01 ETH');
    expect(await row(scenario.channels.a.id).locator('[data-field="claimed"]').textContent()).toBe('0.004 ETH');
    expect(await row(scenario.channels.b.id).locator('[data-field="countdown"]').textContent()).toMatch(
      /^closes in (59m \d\ds|1h 00m 00s)$/,
    );
    expect(await row(scenario.channels.c.id).locator('[data-field="refund"]').getAttribute('data-amount')).toBe(
      (scenario.channels.c.deposit - scenario.channels.c.claimed).toString(),
    );

    // One edge per consumer→provider pair, the two public→random-number channels merged.
    const { public: pub, randomNumber: rnd, persistence: per } = scenario.services;
    const edges = page.locator('[data-testid="graph"] g.edge');
    expect(await edges.count()).toBe(3);
    const edge = (from: string, to: string) => page.locator(`[data-testid="graph"] g.edge[data-from="${from}"][data-to="${to}"]`);
    expect(await edge(pub, rnd).getAttribute('data-channels')).toBe('2');
    expect(await edge(pub, rnd).getAttribute('data-flow')).toBe((scenario.channels.a.claimed + scenario.channels.d.claimed).toString());
    expect(await edge(pub, per).getAttribute('data-flow')).toBe(scenario.channels.b.claimed.toString());
    expect(await edge(rnd, per).getAttribute('data-flow')).toBe(scenario.channels.c.claimed.toString());
    // Thicker where more money flowed: public→persistence (0.006 ETH) over random-number→persistence (0.002 ETH).
    const width = async (from: string, to: string) => Number(await edge(from, to).locator('path').getAttribute('stroke-width'));
    expect(await width(pub, per)).toBeGreaterThan(await width(rnd, per));
    expect(await page.locator('[data-testid="graph"] g.node').count()).toBe(3);

    expect(await page.locator('[data-testid="balance-chart"] path.series').count()).toBe(4);
    expect(await page.locator('#offchain').textContent()).toContain('Enter a bearer token');
  });

  test('with the payment server’s token: names, latest vouchers and calls; the token stays out of the URL', async () => {
    await page.fill('#token', TOKENS.dashboard);
    await page.click('#settings button[type="submit"]');
    const a = scenario.channels.a;
    await row(a.id).locator('[data-field="voucher"]').waitFor({ timeout: 20_000 });
    expect(await amountIn(a.id, 'voucher')).toBe(a.voucher.toString());
    expect(await row(a.id).locator('[data-field="calls"]').textContent()).toBe(String(a.calls));
    expect(await page.locator('[data-testid="graph"] .node-label').allTextContents()).toEqual(
      expect.arrayContaining(['public', 'random-number', 'persistence']),
    );
    // The flow along public→random-number now counts channel a's unclaimed vouchers too.
    const flow = await page
      .locator(`[data-testid="graph"] g.edge[data-from="${scenario.services.public}"][data-to="${scenario.services.randomNumber}"]`)
      .getAttribute('data-flow');
    expect(flow).toBe((a.voucher + scenario.channels.d.claimed).toString());

    await row(a.id).click();
    await page.locator(`[data-testid="offchain"][data-channel-id="${a.id}"] rect.bar`).first().waitFor({ state: 'attached' });
    expect(await page.locator('[data-testid="offchain"]').textContent()).toContain(`Calls ${a.calls}`);

    expect(page.url()).not.toContain(TOKENS.dashboard);
    expect(await page.evaluate(() => sessionStorage.getItem('chanpay.visualizer.token'))).toBe(TOKENS.dashboard);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  test('follows the chain live: a new claim shows up without a reload', async () => {
    const a = scenario.channels.a;
    await scenario.payAndClaimOnA();
    await page.waitForFunction(
      ({ id, claimed }) =>
        document.querySelector(`tr[data-channel-id="${id}"] [data-field="claimed"]`)?.getAttribute('data-amount') === claimed,
      { id: a.id, claimed: a.claimed.toString() },
      { timeout: 15_000 },
    );
    // The payment server's view follows too: one more call on channel a.
    await page.waitForFunction(
      ({ id, calls }) => document.querySelector(`tr[data-channel-id="${id}"] [data-field="calls"]`)?.textContent === calls,
      { id: a.id, calls: String(a.calls) },
      { timeout: 15_000 },
    );
    const head = await page.locator('[data-field="head"]').textContent();
    expect(head).toMatch(/^block #\d+$/);
    // The decoded transaction list shows the claim, with its event.
    const claimRow = page.locator('table.transactions tbody tr').filter({ hasText: 'ChannelClaimed' }).first();
    expect(await claimRow.locator('.method').textContent()).toBe('claim');
  });

  test('switches the balance chart between change and absolute balances', async () => {
    const first = async () => page.locator('[data-testid="balance-chart"] path.series').first().getAttribute('d');
    const change = await first();
    await page.locator('.segmented button', { hasText: 'Absolute' }).click();
    expect(await page.locator('.segmented button.active').textContent()).toBe('Absolute');
    expect(await first()).not.toBe(change);
    await page.locator('.segmented button', { hasText: 'Change since' }).click();
    expect(await page.locator('.segmented button.active').textContent()).toMatch(/^Change since #\d+$/);
  });

  test('says clearly when the node cannot be reached', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${site.url}/?rpc=${encodeURIComponent('http://127.0.0.1:9')}`);
      const error = other.locator('[data-testid="chain-error"]');
      await error.waitFor({ timeout: 15_000 });
      expect(await error.textContent()).toMatch(/^cannot reach the node at http:\/\/127\.0\.0\.1:9 .*CORS/);
      expect(await other.locator('.status').getAttribute('data-phase')).toBe('error');
    } finally {
      await other.close();
    }
  });

  test('has no script errors, and takes a screenshot (the one in the docs with UPDATE_SCREENSHOT=1)', async () => {
    // Open one decoded transaction so the screenshot shows what decoding looks like.
    await page.locator('table.transactions tbody tr').filter({ hasText: 'ChannelOpened' }).first().locator('summary').click();
    await page.waitForTimeout(300);
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    if (!process.env.UPDATE_SCREENSHOT) rmSync(SCREENSHOT, { force: true });
    expect(pageErrors).toEqual([]);
  });
});
