/**
 * The thesis network on a real Docker Swarm of three engines, each in its own network namespace on this machine
 * (scripts/swarm), deployed from the stack file the renderer makes of the `thesis` topology: n1 is the manager
 * and holds the chain, n2 the payment servers and persistence (the stateful services), n3 random-number and
 * public. Paid calls go through public's published port, the providers redeem, n3's engine is killed mid-load
 * and Swarm moves its services to n2, and at the end every channel is settled and the books balance to the wei.
 * All traffic goes to the lab's own addresses (198.18.x.0/24 on a bridge the test creates); the lab is torn down
 * also when a step fails. Run by swarm-labs.test.ts.
 */
import { Wallet } from 'ethers';
import { SwarmLab } from '../../../scripts/swarm/lab';
import { STACK_IMAGES, imageRef } from '../../../scripts/swarm/images';
import { deployThesis, type ThesisDeployment } from '../../../scripts/swarm/thesis-deploy';
import { thesisNodeLabels, THESIS_STATEFUL, THESIS_STATELESS } from '../../../scripts/swarm/thesis';
import { stackState } from '../../../scripts/swarm/stack';
import { waitForNodeDown } from '../../../scripts/swarm/swarm';
import { ensureImages } from '../helpers/docker';
import { balancesMatchBooks } from '../reliability/lib/conservation';
import { GWEI, call as get, settledBooks, swarmSuite, wasRefused } from './lib';

const PAID_CALLS = 20;
const CALLS_BEFORE_CRASH = 5;
const CALLS_AFTER_CRASH = 5;

const { describe: describeSwarm, reason } = swarmSuite('Swarm lab test');

interface ActionBody {
  number: number;
  savedNumber: number;
  receipts: { randomNumber: { channelId: string; amount: string }; persistence: { channelId: string; amount: string } };
}

const call = <T = any>(url: string, admin?: string, timeoutMs = 30_000) => get<T>(url, { admin, timeoutMs });

describeSwarm('the thesis network on a three-node Docker Swarm (engines in network namespaces)', () => {
  let lab: SwarmLab | undefined;
  let net: ThesisDeployment;
  let admin: string;
  const acked: ActionBody[] = [];
  /** Calls that reached public (or may have) and did not come back 200: each may have paid its providers. */
  let failedAttempts = 0;
  /** Calls that cannot have reached public (no task, connection refused). */
  let unreachable = 0;
  let claimed = { randomNumber: 0n, persistence: 0n };
  let started = Date.now();
  const log = (line: string) => process.stderr.write(`[swarm ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);

  beforeAll(async () => {
    started = Date.now();
    if (reason) throw new Error(`CI must run the Swarm lab test, but: ${reason}`);
    await ensureImages();
    lab = await SwarmLab.create({
      nodes: thesisNodeLabels(3).map((labels) => ({ labels })),
      images: STACK_IMAGES.map((i) => imageRef(i)),
      log,
    });
    net = await deployThesis(lab, {
      statelessOn: 'n3',
      overrides: { CHALLENGE_PERIOD: '2', MIN_CHALLENGE_PERIOD: '2' },
      timeoutMs: 150_000,
    });
    admin = net.settings.ADMIN_TOKEN!;
  }, 280_000);

  afterAll(async () => {
    const failed = (await lab?.down()) ?? [];
    log(`lab timings: ${JSON.stringify(lab?.timings ?? {})}`);
    expect(failed).toEqual([]);
  }, 120_000);

  test('placed as the thesis placed it: the chain on the manager, the services and payment servers on the workers', async () => {
    expect(await net.nodeOf('chain')).toBe('n1');
    for (const s of THESIS_STATEFUL) expect(`${s} on ${await net.nodeOf(s)}`).toBe(`${s} on n2`);
    for (const s of THESIS_STATELESS) expect(`${s} on ${await net.nodeOf(s)}`).toBe(`${s} on n3`);
    const deploy = (await stackState(lab!.manager, net.stack)).find((s) => s.name === 'deploy')!;
    expect(deploy.completed).toBe(1);
  });

  test(`${PAID_CALLS} paid calls through public's published port; both providers redeem exactly ${PAID_CALLS} x their price`, async () => {
    const pub = await net.url('public');
    expect(pub).toMatch(new RegExp(`^http://${lab!.engine('n3').address.replace(/\./g, '\\.')}:`));
    const init = await call(`${pub}/init`, admin, 120_000);
    expect(init.status).toBe(200);
    expect((await call(`${pub}/init`)).status).toBe(401);
    for (let i = 1; i <= PAID_CALLS; i++) {
      const res = await call<ActionBody>(`${pub}/action`);
      expect(res.status).toBe(200);
      expect(res.body.savedNumber).toBe(res.body.number);
      expect(res.body.receipts.randomNumber).toMatchObject({ channelId: init.body.randomNumber, amount: (BigInt(i) * GWEI).toString() });
      expect(res.body.receipts.persistence).toMatchObject({ channelId: init.body.persistence, amount: (BigInt(i) * 2n * GWEI).toString() });
    }
    for (const [service, channel, price] of [
      ['random-number', init.body.randomNumber, GWEI],
      ['persistence', init.body.persistence, 2n * GWEI],
    ] as const) {
      const redeem = await call(await net.url(service, '/redeem'), admin, 120_000);
      expect(redeem.status).toBe(200);
      expect(redeem.body.channels).toEqual([channel]);
      const payout = await call(await net.url(service, '/payout'));
      expect(payout.body).toMatchObject({ claimed: (BigInt(PAID_CALLS) * price).toString(), unclaimed: '0' });
    }
  }, 180_000);

  test('n3 engine killed mid-load: Swarm moves random-number and public to n2; every acknowledged call stays paid and saved', async () => {
    const deadline = Date.now() + 150_000;
    let url: string | undefined;
    const attempt = async (): Promise<void> => {
      try {
        url ??= await net.url('public');
      } catch {
        unreachable++; // no running public task right now
        await new Promise((r) => setTimeout(r, 250));
        return;
      }
      try {
        const res = await call<ActionBody>(`${url}/action`, undefined, 10_000);
        if (res.status === 200) {
          acked.push(res.body);
          return;
        }
        failedAttempts++;
      } catch (e) {
        // Refused: public never got the call. Anything else (reset, timeout) may have reached it, and paid.
        if (wasRefused(e)) unreachable++;
        else failedAttempts++;
        url = undefined; // ask the Swarm where public runs now
      }
      await new Promise((r) => setTimeout(r, 250));
    };
    while (acked.length < CALLS_BEFORE_CRASH && Date.now() < deadline) await attempt();
    expect(acked.length).toBe(CALLS_BEFORE_CRASH);

    const crashAt = Date.now();
    const inFlight = attempt(); // one call on its way while the node dies
    const killed = await lab!.crash('n3');
    expect(killed).toBeGreaterThan(3); // dockerd, containerd, shims and the containers' processes
    await inFlight;
    await waitForNodeDown(lab!.manager, lab!.nodeId('n3'), 30_000);
    log(`n3 marked down ${((Date.now() - crashAt) / 1000).toFixed(1)} s after the kill`);

    while (acked.length < CALLS_BEFORE_CRASH + CALLS_AFTER_CRASH && Date.now() < deadline) await attempt();
    log(
      `load: ${acked.length} acknowledged, ${failedAttempts} failed after reaching public, ${unreachable} found no public; public answered again ${((Date.now() - crashAt) / 1000).toFixed(1)} s after the kill`,
    );
    expect(acked.length).toBe(CALLS_BEFORE_CRASH + CALLS_AFTER_CRASH);
    for (const s of THESIS_STATELESS) expect(`${s} on ${await net.nodeOf(s)}`).toBe(`${s} on n2`);
    for (const a of acked) expect(a.savedNumber).toBe(a.number);

    for (const service of ['random-number', 'persistence'] as const) {
      expect((await call(await net.url(service, '/redeem'), admin, 120_000)).status).toBe(200);
      const payout = await call(await net.url(service, '/payout'));
      expect(payout.body.unclaimed).toBe('0');
      claimed = { ...claimed, [service === 'random-number' ? 'randomNumber' : 'persistence']: BigInt(payout.body.claimed) };
    }
    // Claimed: every acknowledged call, plus at most the calls that failed after their provider was paid.
    const calls = BigInt(PAID_CALLS + acked.length);
    const failed = BigInt(failedAttempts);
    expect(claimed.randomNumber % GWEI).toBe(0n);
    expect(claimed.randomNumber >= calls * GWEI && claimed.randomNumber <= (calls + failed) * GWEI).toBe(true);
    expect(claimed.persistence >= calls * 2n * GWEI && claimed.persistence <= (calls + failed) * 2n * GWEI).toBe(true);
    // The numbers persistence acknowledged are in its database (on n2, which kept running).
    const saved = (await call(await net.url('persistence', '/status'))).body.saved as number;
    expect(saved >= PAID_CALLS + acked.length && saved <= PAID_CALLS + acked.length + failedAttempts).toBe(true);
  }, 200_000);

  test('after /terminate every channel settles: payouts + refunds = deposits, and the accounts moved by exactly that (to the wei)', async () => {
    const rpcUrl = await net.url('chain');
    const contract = net.settings.CONTRACT_ADDRESS!;
    const terminate = await call(await net.url('public', '/terminate'), admin, 120_000);
    expect(terminate.status).toBe(200);
    expect(terminate.body.terminationStarted).toBe(true);
    const report = await settledBooks(rpcUrl, contract);
    expect(report.channels.length).toBeGreaterThanOrEqual(2);
    expect(report.problems).toEqual([]);
    const of = (key: string) => new Wallet(net.settings[key]!).address.toLowerCase();
    const paidTo = (address: string) => report.channels.filter((c) => c.provider === address).reduce((s, c) => s + c.providerTotal, 0n);
    expect(paidTo(of('RANDOM_NUMBER_KEY'))).toBe(claimed.randomNumber);
    expect(paidTo(of('PERSISTENCE_KEY'))).toBe(claimed.persistence);
    expect(report.providerPayouts + report.consumerRefunds).toBe(report.deposits);
    // Every acknowledged call's payment is in what its channel paid out.
    for (const a of acked) {
      for (const r of [a.receipts.randomNumber, a.receipts.persistence]) {
        const channel = report.channels.find((c) => c.id === r.channelId.toLowerCase());
        expect(channel && channel.providerTotal >= BigInt(r.amount)).toBe(true);
      }
    }
    expect(await balancesMatchBooks(rpcUrl, report, [of('RANDOM_NUMBER_KEY'), of('PERSISTENCE_KEY'), of('PUBLIC_KEY')], 0)).toEqual([]);
  }, 120_000);
});
