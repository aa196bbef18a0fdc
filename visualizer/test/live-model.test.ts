import { startAnvil, startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { LiveModel, type Snapshot } from '../src/data/live-model';
import { buildScenario, PRICE, TOKENS, type Scenario } from './helpers/scenario';

/** The page's data layer (no DOM) against real nodes with channels made by a real payment server. */
describe.each([
  ['ganache', () => startEmbeddedChain({ accounts: 3 })],
  ['anvil', () => startAnvil({ accounts: 3 })],
] as const)('LiveModel on %s', (_node, startChain) => {
  let chain: EmbeddedChain;
  let scenario: Scenario;
  const models: LiveModel[] = [];

  beforeAll(async () => {
    chain = await startChain();
    scenario = await buildScenario(chain);
  });
  afterAll(async () => {
    for (const m of models) m.stop();
    await scenario?.stop();
    await chain?.stop();
  });

  function model(extra: { server?: boolean; token?: string | null } = {}): LiveModel {
    const m = new LiveModel(
      {
        rpcUrl: chain.rpcUrl,
        contract: null,
        paymentServerUrl: extra.server === false ? null : scenario.server.url,
        paymentServerToken: extra.token === undefined ? TOKENS.dashboard : extra.token,
        names: [],
        watch: [],
      },
      () => {},
    );
    models.push(m);
    return m;
  }

  function channelsById(s: Snapshot) {
    return new Map(s.channels.map((c) => [c.id, c]));
  }

  test('finds the contract through the payment server and rebuilds every channel from its events', async () => {
    const m = model();
    await m.tick();
    const s = m.current();
    expect(s.phase).toBe('live');
    expect(s.chainId).toBe(chain.chainId);
    expect(s.contract).toBe(scenario.server.contract);
    expect(s.contractSource).toBe('payment server');
    const found = channelsById(s);
    expect(found.size).toBe(4);
    for (const want of Object.values(scenario.channels)) {
      expect(found.get(want.id)).toMatchObject({
        consumer: want.consumer,
        provider: want.provider,
        deposit: want.deposit,
        claimed: want.claimed,
        state: want.state,
      });
    }
    const b = found.get(scenario.channels.b.id)!;
    expect(b.closesAt).toBeGreaterThan(s.headTimestamp! + 3500);
    expect(b.remaining).toBe(scenario.channels.b.deposit - scenario.channels.b.claimed);
    const c = found.get(scenario.channels.c.id)!;
    expect(c.refund).toBe(scenario.channels.c.deposit - scenario.channels.c.claimed);
    expect(c.remaining).toBe(0n);
    expect(found.get(scenario.channels.d.id)!.topUps).toBe(1);
  });

  test('names the services from the payment server and shows its off-chain view', async () => {
    const m = model();
    await m.tick();
    const s = m.current();
    expect(s.names.get(scenario.services.public)).toBe('public');
    expect(s.names.get(scenario.services.randomNumber)).toBe('random-number');
    expect(s.names.get(s.contract!)).toBe('PaymentChannels');
    expect(s.offchain.status).toBe('ok');
    const a = s.offchain.channels.get(scenario.channels.a.id)!;
    expect(a.latestVoucher!.amount).toBe(10n * PRICE);
    expect(a.calls).toBe(10);
    expect(a.unclaimed).toBe(2n * PRICE);
    expect(a.windows.reduce((sum, w) => sum + w.amount, 0n)).toBe(10n * PRICE);
  });

  test('decodes the payment server’s transactions and charts the balances', async () => {
    const m = model();
    await m.tick();
    const s = m.current();
    const txs = s.blocks.flatMap((b) => b.txs);
    const deployment = txs.find((t) => t.deploysPaymentChannels);
    expect(deployment?.createdContract).toBe(s.contract);
    const calls = txs.filter((t) => t.to === s.contract).map((t) => t.call?.name);
    expect(calls.filter((n) => n === 'open')).toHaveLength(4);
    expect(calls).toEqual(expect.arrayContaining(['topUp', 'claim', 'startClose', 'closeByProvider', 'withdraw']));
    const opening = txs.find((t) => t.call?.name === 'open' && t.events.some((e) => e.args.channelId === scenario.channels.a.id))!;
    expect(opening.value).toBe(scenario.channels.a.deposit);
    expect(opening.gasUsed).toBeGreaterThan(21_000n);
    expect(opening.status).toBe(1);
    expect(opening.events.map((e) => e.name)).toEqual(['ChannelOpened']);

    // Watched by default: the channel parties and the contract, which holds exactly what is still locked.
    expect(new Set(s.watched)).toEqual(new Set([...Object.values(scenario.services), s.contract]));
    const held = s.balances.points(s.contract!);
    expect(held[held.length - 1]).toEqual({
      block: s.head,
      balance: s.totals.byToken.get('0x0000000000000000000000000000000000000000')!.locked,
    });
    expect(held[0]!.balance).toBe(0n);
    const persistence = s.balances.deltas(scenario.services.persistence);
    expect(persistence[persistence.length - 1]!.balance).toBeGreaterThan(0n);
  });

  test('follows new blocks incrementally without counting an event twice', async () => {
    const m = model();
    await m.tick();
    const before = m.current();
    await m.tick(); // no new block: nothing changes
    expect(m.current().channels).toBe(before.channels);

    await scenario.payAndClaimOnA();
    await m.tick();
    const after = m.current();
    expect(after.head).toBeGreaterThan(before.head!);
    const a = channelsById(after).get(scenario.channels.a.id)!;
    expect(a.claimed).toBe(scenario.channels.a.claimed);
    expect(a.claims).toBe(2);
    expect(after.channels).toHaveLength(4);
    expect(after.blocks[0]!.number).toBe(after.head);
    expect(new Set(after.blocks.map((b) => b.number)).size).toBe(after.blocks.length);
    const contractPoints = after.balances.points(after.contract!);
    expect(contractPoints[contractPoints.length - 1]!.block).toBe(after.head);
  });

  test('without a payment server, finds the contract by its events; without a token, says so', async () => {
    const chainOnly = model({ server: false });
    await chainOnly.tick();
    expect(chainOnly.current()).toMatchObject({ contract: scenario.server.contract, contractSource: 'events' });
    expect(chainOnly.current().channels).toHaveLength(4);
    expect(chainOnly.current().offchain.status).toBe('off');

    const noToken = model({ token: null });
    await noToken.tick();
    expect(noToken.current().contractSource).toBe('payment server');
    expect(noToken.current().offchain).toMatchObject({ status: 'needs-token' });
  });

  test('reports an unreachable node as one clear error', async () => {
    const m = new LiveModel(
      { rpcUrl: 'http://127.0.0.1:9', contract: null, paymentServerUrl: null, paymentServerToken: null, names: [], watch: [] },
      () => {},
    );
    await expect(m.tick()).rejects.toThrow(/cannot reach the node at http:\/\/127.0.0.1:9/);
  });
});
