/**
 * The fault scenarios on the example network (see docs/reliability.md), each under a load of concurrent `/action`
 * calls and each ending with the on-chain books: kill -9 of the provider services, of the payment servers, of the
 * consumer (public), and a close started while the providers' payment server is down. The test files pick the
 * network (local sync, local batched, remote) and call these.
 */
import type { ChannelStatus } from '@chanpay/service-public';
import { bound } from './bounds';
import { timeTravel } from './chain';
import { networkProcessTarget, startActionLoad, type ActionLoadStats } from './fault-hooks';
import { recordFigure, stopwatch } from './figures';
import { sleep, waitFor } from './load';
import {
  HOPS,
  PROCESS_OF,
  ReceiptBook,
  finishSettlement,
  getJson,
  heldByProviders,
  hopByAsking,
  scenarioStart,
  servedMore,
  settleScenario,
  uncovered,
  type FaultNetwork,
  type Hop,
  type Settlement,
} from './network-scenario';

export const GWEI = 1_000_000_000n;
export const PRICE: Record<Hop, bigint> = { randomNumber: GWEI, persistence: 2n * GWEI };
/** `/action` calls in flight. */
export const CONCURRENCY = 6;
/** The local-mode provider's `maxUnflushedMs` (docs/protocol.md): the bound on what a batched crash can cost. */
export const MAX_UNFLUSHED_MS = 2_000;
/** Kills per process and scenario: 1 in `npm test`, more (at most 4) in `npm run test:faults`. */
const ROUNDS = Math.min(bound(1), 4);
const DOWN_MS = 600;

export interface NetworkKind {
  /** For figures: "local, sync", "local, batched", "remote". */
  label: string;
  mode: 'local' | 'remote';
  sync: boolean;
  /** The consumer's PREPAY_CALLS (prepaid tickets, docs/protocol.md), passed in the network's env; absent: a voucher per call. */
  prepayCalls?: number;
}

/** A provider acknowledges a call only once its payment server holds the voucher (remote, or local sync). */
const strict = (k: NetworkKind) => k.mode === 'remote' || k.sync;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const failures = (book: ReceiptBook) =>
  book.failures
    ? `${book.failures} failed (${Object.entries(book.failed)
        .map(([k, v]) => `${v} x ${k}`)
        .join(', ')})`
    : 'none failed';

function loadFor(f: FaultNetwork, book: ReceiptBook) {
  return startActionLoad(f.net.urls.public!, {
    concurrency: CONCURRENCY,
    maxCalls: bound(6000),
    onResponse: book.onResponse,
    backoffMs: 20,
  });
}

/**
 * The common end: books balance, every receipt is paid, every row persistence saved is paid. Returns how many
 * /save calls the consumer paid for without getting them served (calls a fault cut off), checked against `maxCutOff`.
 */
function expectBooks(s: Settlement, savedRows: number, maxCutOff: number): number {
  expect(s.problems).toEqual([]);
  expect(s.unpaidReceipts).toEqual([]);
  expect(s.paidTo.persistence).toBeGreaterThanOrEqual(BigInt(savedRows) * PRICE.persistence);
  const cutOff = Number((s.paidTo.persistence - BigInt(savedRows) * PRICE.persistence) / PRICE.persistence);
  expect(cutOff).toBeLessThanOrEqual(maxCutOff);
  return cutOff;
}

/** The public service's (the consumer's) own view of its channels (GET /status). */
async function consumerStatus(f: FaultNetwork): Promise<ChannelStatus[]> {
  const r = await getJson(`${f.net.urls.public}/status`);
  if (r.status !== 200) throw new Error(`public GET /status: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.channels as ChannelStatus[];
}

const attemptsIn = (stats: ActionLoadStats, prefix: string) =>
  Object.entries(stats.byPhase)
    .filter(([k]) => k.endsWith(prefix))
    .reduce((a, [, v]) => a + v.calls, 0);

// ------------------------------------------------------------------------------------------------ provider services

/**
 * kill -9 of random-number and of persistence mid-load, restart. Strict modes: at every kill the payment server
 * already holds every receipt returned. Batched: the receipts not yet stored at the kill are measured (their age
 * must be within `maxUnflushedMs`); the consumer's next voucher covers them. Books balance, every served call paid.
 */
export async function providerServiceKills(f: FaultNetwork, kind: NetworkKind): Promise<void> {
  const elapsed = stopwatch();
  const start = await scenarioStart(f);
  const book = new ReceiptBook();
  const load = loadFor(f, book);
  const kills: { atRisk: number; atRiskWei: bigint; oldestAtRiskMs: number; restartMs: number }[] = [];
  let finalKill = 0;
  const prepay = kind.prepayCalls ?? 1;
  // Prepaid tickets: the most calls the consumer held paid ahead per channel, from its GET /status every 100 ms
  // while the load runs (the public service is never killed here).
  const prepaidInHand = new Map<string, number>();
  const refusedBefore = ticketRefusals(f);
  let sampling = prepay > 1;
  const sampler = (async () => {
    while (sampling) {
      for (const c of await consumerStatus(f).catch(() => []))
        prepaidInHand.set(c.id.toLowerCase(), Math.max(prepaidInHand.get(c.id.toLowerCase()) ?? 0, c.prepaidCalls));
      await sleep(100);
    }
  })();
  try {
    await servedMore(book, 30);
    for (let round = 0; round < ROUNDS; round++) {
      for (const hop of HOPS) {
        const target = networkProcessTarget(f.net, PROCESS_OF[hop]);
        load.phase(`${hop} down`);
        const killedAt = Date.now();
        await target.kill9();
        const highestBefore = book.highestNow();
        await sleep(150); // a POST /vouchers already on its way lands
        const held = await heldByProviders(f, book);
        if (strict(kind)) expect(uncovered(held, highestBefore)).toEqual([]);
        const k = { atRisk: 0, atRiskWei: 0n, oldestAtRiskMs: 0, restartMs: 0 };
        for (const ch of book.of(hop)) {
          for (const r of ch.receipts.filter((x) => x.amount > (held.get(ch.id) ?? 0n))) {
            k.atRisk++;
            k.atRiskWei += r.price;
            k.oldestAtRiskMs = Math.max(k.oldestAtRiskMs, killedAt - r.at);
          }
        }
        // The documented bound: nothing answered longer than maxUnflushedMs ago is unstored (plus slack on 2 cores).
        expect(k.oldestAtRiskMs).toBeLessThanOrEqual(MAX_UNFLUSHED_MS + 1_000);
        await sleep(Math.max(0, DOWN_MS - (Date.now() - killedAt)));
        const restarting = Date.now();
        await target.restart();
        k.restartMs = Date.now() - restarting;
        load.phase(`after ${hop}`);
        kills.push(k);
        await servedMore(book, 30);
        // The consumer kept signing above everything it signed before: the next vouchers the restarted service
        // stores cover whatever the crash left unstored.
        await waitFor(
          'the receipts answered before the kill to be covered again',
          async () => uncovered(await heldByProviders(f, book), highestBefore).length === 0,
          10_000,
          50,
        );
      }
    }
    // The last crash: both services at once, and the consumer calls no more (it closes): what was not stored is lost
    // for good (batched: the documented worst case; strict modes: nothing).
    load.phase('final crash');
    finalKill = Date.now();
    await Promise.all(HOPS.map((hop) => networkProcessTarget(f.net, PROCESS_OF[hop]).kill9()));
  } finally {
    await load.stop();
    sampling = false;
    await sampler;
  }
  for (const hop of HOPS) await networkProcessTarget(f.net, PROCESS_OF[hop]).restart();
  const saved = (await f.saved()) - start.saved;
  // What the consumer signed and got receipts for, per channel, before it closes (settleScenario's GET /terminate).
  const consumerEnd =
    prepay > 1 ? (await consumerStatus(f)).filter((c) => c.state === 'open' && !start.earlierChannels.has(c.id.toLowerCase())) : [];
  const s = await settleScenario(f, start, book);
  expect(s.problems).toEqual([]);
  // Receipts the providers are not paid for: none in strict modes; in batched mode only calls answered within
  // maxUnflushedMs before the final crash.
  // `wei`: the vouchers' value above what was stored; `servedWei`: the prices of the calls served against them (the
  // same without tickets, but a ticket's receipt names its block's voucher, which also pays the block's unused calls).
  const lost = { calls: 0, wei: 0n, servedWei: 0n, oldestMs: 0 };
  for (const ch of book.channels.values()) {
    const paid = s.books.channels.find((c) => c.id === ch.id)?.providerTotal ?? 0n;
    if (ch.highest > paid) lost.wei += ch.highest - paid;
    for (const r of ch.receipts.filter((x) => x.amount > paid)) {
      lost.calls++;
      lost.servedWei += r.price;
      lost.oldestMs = Math.max(lost.oldestMs, finalKill - r.at);
    }
  }
  if (strict(kind)) expect(s.unpaidReceipts).toEqual([]);
  else expect(lost.oldestMs).toBeLessThanOrEqual(MAX_UNFLUSHED_MS + 1_000);
  // Rows persistence saved whose payment is lost (batched) / /save calls the consumer paid without an answer.
  const paidRows = Number(s.paidTo.persistence / PRICE.persistence);
  const lostRows = Math.max(0, saved - paidRows);
  const cutOff = Math.max(0, paidRows - saved);
  if (strict(kind)) expect(lostRows).toBe(0);
  else expect(lostRows).toBeLessThanOrEqual(lost.calls);
  // Prepaid tickets: the consumer loses the unused rest of the blocks it holds when its provider restarts (ROUNDS
  // mid-load kills and the final one) and when it closes (+1): `prepay` calls per event by docs/protocol.md, so
  // (ROUNDS + 2) × prepay per channel. Really a kill can find up to about 1.5 blocks (the next block opens when
  // half of the current one is left; measured: up to 29 of 20 in hand) plus the tickets in flight, i.e. at most
  // (ROUNDS + 1) × (1.5 × prepay + CONCURRENCY), since the final kill and the close are one event: with the
  // allowance below for calls cut off that stays within the bound for ROUNDS ≤ 5 (it is at most 4).
  const prepaidRest = prepay > 1 ? (ROUNDS + 1 + 1) * prepay : 0;
  // On top, as without tickets: the calls in flight that each crash (and the end) cut off, paid but not answered.
  const maxUnanswered = (kills.length + 1) * (CONCURRENCY + 1) + prepaidRest;
  expect(cutOff).toBeLessThanOrEqual(maxUnanswered);
  const prepaid = prepay > 1 ? prepaidFigures(book, consumerEnd, s, prepaidInHand) : null;
  // Tickets the restarted providers refused (blocks they forgot), by code, from the consumer's log.
  const refused = Object.entries(ticketRefusals(f))
    .map(([code, n]) => [code, n - (refusedBefore[code] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  if (prepaid) {
    // What the consumer signed beyond the calls it got receipts for (its own count, including /randomNumber calls
    // of failed /actions), per channel, in calls of that channel's price.
    expect(
      prepaid.channels
        .filter((c) => c.signedBeyond > maxUnanswered)
        .map((c) => `${c.hop} ${c.id}: signed ${c.signedBeyond} calls beyond its receipts (bound ${maxUnanswered})`),
    ).toEqual([]);
    // Never more paid out than the consumer signed. (Not "at least its receipts": in batched mode the final crash
    // may lose a block voucher not yet stored, the documented bound checked above.)
    expect(
      prepaid.channels.filter((c) => c.paidOut > c.signed).map((c) => `${c.hop} ${c.id}: paid out ${c.paidOut}, signed ${c.signed}`),
    ).toEqual([]);
    // Tickets were really used: on each channel most receipted calls carry a voucher amount already seen (one
    // voucher, many calls), and the consumer had calls paid ahead in hand.
    for (const hop of HOPS) {
      const t = prepaid.byHop[hop];
      expect({ hop, ticketShare: t.receipted > 0 && t.ticketCalls / t.receipted >= 0.5, inHand: t.maxInHand > 0 }).toEqual({
        hop,
        ticketShare: true,
        inHand: true,
      });
    }
  }
  const atRisk = kills.reduce((a, k) => a + k.atRisk, 0);
  const atRiskWei = kills.reduce((a, k) => a + k.atRiskWei, 0n);
  const oldest = Math.max(0, ...kills.map((k) => k.oldestAtRiskMs));
  recordFigure({
    scenario: `Network: kill -9 of a provider service (${kind.label})`,
    chain: 'ganache (embedded)',
    load: `${book.served} /action calls served, ${CONCURRENCY} at a time; ${failures(book)} while a service was down`,
    faults: `${kills.length} x kill -9 (${ROUNDS} of random-number, ${ROUNDS} of persistence) mid-load, ${DOWN_MS} ms down, restart in ${median(kills.map((k) => k.restartMs))} ms (median); then both at once, and the consumer closes`,
    inputs: 'none',
    lost:
      (strict(kind)
        ? `0 wei: at every kill the providers' payment server already held every receipt returned; paid ≥ every receipt and every saved row (${saved})`
        : `at the mid-load kills ${atRisk} served calls (${atRiskWei} wei) were not yet stored, the oldest answered ${oldest} ms before the kill; the consumer's next voucher covered them (0 wei). At the final crash, with no call after it: ` +
          (prepaid
            ? `${lost.calls} served calls (${lost.servedWei} wei at their prices) were paid only by block vouchers not yet stored (${lost.wei} wei with the blocks' unused calls), the oldest answered ${lost.oldestMs} ms before the kill (bound: ${MAX_UNFLUSHED_MS} ms); ${prepaid.channels.every((c) => c.paidOut >= c.paid) ? 'still, on every channel the provider was paid at least the prices of all calls the consumer got receipts for (the unused rest of blocks forgotten at earlier restarts made up for them)' : '**on some channel the provider was paid less than the prices of the calls the consumer got receipts for**'}`
            : `${lost.calls} served calls (${lost.wei} wei) lost, the oldest answered ${lost.oldestMs} ms before the kill (bound: ${MAX_UNFLUSHED_MS} ms)`)) +
      `; payouts + refunds = deposits. ` +
      (prepaid
        ? `Prepaid tickets: ${prepaid.ticketCalls} of ${prepaid.receipted} receipted /action calls paid by a ticket (${prepaid.vouchers} voucher amounts), up to ${prepaid.maxInHand} calls paid ahead in hand on a channel; the restarted providers refused ${refused.map(([c, n]) => `${n} x ${c}`).join(', ') || 'no'} tickets. Consumer (by design): signed ${prepaid.byHop.randomNumber.signedBeyond} random-number / ${prepaid.byHop.persistence.signedBeyond} persistence calls beyond its receipts (bound ${maxUnanswered} per channel), of which the providers were paid ${prepaid.byHop.randomNumber.paidBeyond} / ${prepaid.byHop.persistence.paidBeyond}; persistence paid ${cutOff} calls more than the rows it saved`
        : `Consumer: paid ${cutOff} /save calls a crash cut off`),
    numbers: {
      served: book.served,
      failed: JSON.stringify(book.failed),
      kills: kills.length + 2,
      savedRows: saved,
      atRiskCalls: atRisk,
      atRiskWei: atRiskWei.toString(),
      oldestAtRiskMs: oldest,
      finalLostCalls: lost.calls,
      finalLostWei: lost.wei.toString(),
      finalLostServedWei: lost.servedWei.toString(),
      finalLostOldestMs: lost.oldestMs,
      lostRows,
      cutOffCalls: cutOff,
      deposits: s.books.deposits.toString(),
      payouts: s.books.providerPayouts.toString(),
      refunds: s.books.consumerRefunds.toString(),
      ...(prepaid
        ? {
            prepayCalls: prepay,
            ticketCalls: prepaid.ticketCalls,
            receiptedCalls: prepaid.receipted,
            voucherAmounts: prepaid.vouchers,
            maxPrepaidInHand: prepaid.maxInHand,
            signedBeyondBoundCalls: maxUnanswered,
            ticketsRefused: JSON.stringify(Object.fromEntries(refused)),
            prepaidChannels: JSON.stringify(prepaid.channels, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
          }
        : {}),
    },
    durationMs: elapsed(),
  });
}

interface PrepaidChannelFigures {
  id: string;
  hop: Hop;
  /** Wei: what the consumer signed, got receipts for (sum of prices), and what the provider was paid on chain. */
  signed: bigint;
  paid: bigint;
  paidOut: bigint;
  /** Calls of the channel's price: signed, and paid out, beyond the receipted calls. */
  signedBeyond: number;
  paidBeyond: number;
}

/**
 * Prepaid tickets in a scenario: calls paid by a ticket (a receipt repeating a voucher amount already seen on its
 * channel: without tickets every voucher is accepted once, so every receipt names another amount), and what the
 * consumer signed and was charged beyond the calls it got receipts for (`consumerEnd`: its GET /status before the close).
 */
function prepaidFigures(book: ReceiptBook, consumerEnd: ChannelStatus[], s: Settlement, inHand: Map<string, number>) {
  const zero = () => ({ receipted: 0, ticketCalls: 0, maxInHand: 0, signedBeyond: 0, paidBeyond: 0 });
  const byHop: Record<Hop, ReturnType<typeof zero>> = { randomNumber: zero(), persistence: zero() };
  let vouchers = 0;
  for (const ch of book.channels.values()) {
    const amounts = new Set(ch.receipts.map((r) => r.amount)).size;
    vouchers += amounts;
    byHop[ch.hop].receipted += ch.receipts.length;
    byHop[ch.hop].ticketCalls += ch.receipts.length - amounts;
  }
  for (const [id, n] of inHand) {
    const hop = s.hopOf.get(id) ?? book.channels.get(id)?.hop;
    if (hop) byHop[hop].maxInHand = Math.max(byHop[hop].maxInHand, n);
  }
  const channels: PrepaidChannelFigures[] = consumerEnd.map((c) => {
    const id = c.id.toLowerCase();
    const hop = s.hopOf.get(id)!;
    const signed = BigInt(c.signed);
    const paid = BigInt(c.paid);
    const paidOut = s.books.channels.find((x) => x.id === id)?.providerTotal ?? 0n;
    return {
      id,
      hop,
      signed,
      paid,
      paidOut,
      signedBeyond: Number((signed - paid) / PRICE[hop]),
      paidBeyond: Number((paidOut - paid) / PRICE[hop]),
    };
  });
  for (const c of channels) {
    byHop[c.hop].signedBeyond += c.signedBeyond;
    byHop[c.hop].paidBeyond += c.paidBeyond;
  }
  const sum = (k: 'receipted' | 'ticketCalls') => HOPS.reduce((a, h) => a + byHop[h][k], 0);
  return {
    byHop,
    channels,
    vouchers,
    receipted: sum('receipted'),
    ticketCalls: sum('ticketCalls'),
    maxInHand: Math.max(...HOPS.map((h) => byHop[h].maxInHand)),
  };
}

// ------------------------------------------------------------------------------------------------ payment servers

/**
 * kill -9 of payment-server-1 (the providers') and of payment-server-2 (the consumer's) mid-load, restart on the
 * same database. Calls may fail while one is down; after the restart payment-server-1 holds every receipt the
 * services returned (strict modes: at once; batched: once the services' retried POST /vouchers arrive).
 */
export async function paymentServerKills(f: FaultNetwork, kind: NetworkKind): Promise<void> {
  const elapsed = stopwatch();
  const start = await scenarioStart(f);
  const book = new ReceiptBook();
  const load = loadFor(f, book);
  const kills: { name: string; servedWhileDown: number; restartMs: number; storedAfterMs: number }[] = [];
  try {
    await servedMore(book, 30);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['payment-server-1', 'payment-server-2']) {
        const target = networkProcessTarget(f.net, name);
        load.phase(`${name} down`);
        const servedBefore = book.served;
        await target.kill9();
        await sleep(DOWN_MS);
        const servedWhileDown = book.served - servedBefore;
        const restarting = Date.now();
        await target.restart();
        const restartMs = Date.now() - restarting;
        load.phase(`after ${name}`);
        const highest = book.highestNow();
        const restarted = Date.now();
        if (strict(kind)) expect(uncovered(await heldByProviders(f, book), highest)).toEqual([]);
        else
          await waitFor(
            'the services to store what they served meanwhile',
            async () => uncovered(await heldByProviders(f, book), highest).length === 0,
            15_000,
            50,
          );
        kills.push({ name, servedWhileDown, restartMs, storedAfterMs: Date.now() - restarted });
        await servedMore(book, 30);
      }
    }
  } finally {
    await load.stop();
  }
  const saved = (await f.saved()) - start.saved;
  const s = await settleScenario(f, start, book);
  // What the consumer may have paid without being served: calls tried while a server was down (e.g. sync: accepted,
  // then 503 because the voucher could not be stored) and calls a crash cut off.
  const attempted = attemptsIn(load.stats, ' down');
  const cutOff = expectBooks(s, saved, attempted + kills.length * (CONCURRENCY + 1));
  const ps1 = kills.filter((k) => k.name === 'payment-server-1');
  const ps2 = kills.filter((k) => k.name === 'payment-server-2');
  recordFigure({
    scenario: `Network: kill -9 of each payment server (${kind.label})`,
    chain: 'ganache (embedded); claims every second',
    load: `${book.served} /action calls served, ${CONCURRENCY} at a time; ${failures(book)}; served while payment-server-1 / -2 was down: ${ps1.reduce((a, k) => a + k.servedWhileDown, 0)} / ${ps2.reduce((a, k) => a + k.servedWhileDown, 0)}`,
    faults: `${ps1.length} x kill -9 of payment-server-1 and ${ps2.length} x of payment-server-2 mid-load, ${DOWN_MS} ms down; restart on the same database in ${median(kills.map((k) => k.restartMs))} ms (median)`,
    inputs: 'none',
    lost: `0 acknowledged vouchers lost: after each restart payment-server-1 held every receipt returned (${strict(kind) ? 'at once' : `after ${Math.max(...kills.map((k) => k.storedAfterMs))} ms at most, when the services' retried POST /vouchers arrived`}); providers paid ≥ every receipt and every saved row (${saved}); payouts + refunds = deposits. Consumer: paid ${cutOff} /save calls not served (of ${attempted} tried during the outages)`,
    numbers: {
      served: book.served,
      failed: JSON.stringify(book.failed),
      savedRows: saved,
      cutOffCalls: cutOff,
      attemptedWhileDown: attempted,
      kills: JSON.stringify(kills),
      deposits: s.books.deposits.toString(),
      payouts: s.books.providerPayouts.toString(),
      refunds: s.books.consumerRefunds.toString(),
    },
    durationMs: elapsed(),
  });
}

// ------------------------------------------------------------------------------------------------ the consumer

/**
 * kill -9 of the public service (the consumer) mid-stream and a restart: it adopts its open channels and resumes
 * from the provider's latest voucher (local: the provider reports it in its 402; remote: its payment server knows
 * what it signed). Nothing is paid twice: the persistence channel is paid exactly the rows saved, plus at most the
 * vouchers the consumer had signed but not sent when it died.
 */
export async function consumerRestart(f: FaultNetwork, kind: NetworkKind): Promise<void> {
  const elapsed = stopwatch();
  const start = await scenarioStart(f);
  const book = new ReceiptBook();
  const load = loadFor(f, book);
  const target = networkProcessTarget(f.net, 'public');
  const resumedBefore = logLines(f, "resuming above the provider's latest voucher");
  const adoptedBefore = logLines(f, 'resuming an open channel');
  const restartMs: number[] = [];
  let lastRestart = 0;
  try {
    await servedMore(book, 30);
    for (let round = 0; round < ROUNDS; round++) {
      load.phase('public down');
      await target.kill9();
      await sleep(DOWN_MS);
      const t = Date.now();
      await target.restart();
      lastRestart = Date.now();
      restartMs.push(lastRestart - t);
      load.phase('after public');
      await servedMore(book, 30);
    }
  } finally {
    await load.stop();
  }
  const resumed = logLines(f, "resuming above the provider's latest voucher") - resumedBefore;
  const adopted = logLines(f, 'resuming an open channel') - adoptedBefore;
  // Local: a restarted consumer starts from what was claimed on chain; where the provider holds more, its first
  // voucher is refused (AMOUNT_TOO_LOW with the provider's latest) and it resumes above that (logged). Either way
  // both channels carry on.
  expect(adopted).toBeGreaterThanOrEqual(2 * ROUNDS);
  if (kind.mode === 'local') expect(resumed).toBeLessThanOrEqual(adopted);
  for (const ch of book.channels.values()) expect(ch.receipts.some((r) => r.at > lastRestart)).toBe(true);
  const saved = (await f.saved()) - start.saved;
  const s = await settleScenario(f, start, book);
  const cutOff = expectBooks(s, saved, ROUNDS * CONCURRENCY);
  recordFigure({
    scenario: `Network: consumer restart mid-stream (${kind.label})`,
    chain: 'ganache (embedded)',
    load: `${book.served} /action calls served, ${CONCURRENCY} at a time; ${failures(book)}`,
    faults: `${ROUNDS} x kill -9 of the public service mid-load, ${DOWN_MS} ms down; restart in ${median(restartMs)} ms (median)`,
    inputs: 'none',
    lost: `0 wei, nothing paid twice: ${kind.mode === 'local' ? `the restarted consumer adopted its open channels ${adopted} times, starting from what was claimed on chain; where the provider held more, its first voucher was refused (AMOUNT_TOO_LOW with the provider's latest voucher) and it resumed above that (${resumed} times)` : 'the restarted consumer continued from what its payment server had signed'}; persistence was paid for exactly its ${saved} saved rows + ${cutOff} voucher(s) signed but not sent when the consumer died; payouts + refunds = deposits`,
    numbers: {
      served: book.served,
      failed: JSON.stringify(book.failed),
      savedRows: saved,
      adoptedChannels: adopted,
      resumedChannels: resumed,
      unsentAtDeath: cutOff,
      deposits: s.books.deposits.toString(),
      payouts: s.books.providerPayouts.toString(),
    },
    durationMs: elapsed(),
  });
}

/** The consumer's "ticket refused" warnings so far, by refusal code. */
function ticketRefusals(f: FaultNetwork): Record<string, number> {
  const byCode: Record<string, number> = {};
  for (const l of f.collector.from('log public')) {
    if (!l.text.includes('"msg":"ticket refused"')) continue;
    const code = /"code":"(\w+)"/.exec(l.text)?.[1] ?? 'unknown';
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  return byCode;
}

function logLines(f: FaultNetwork, text: string): number {
  return f.collector.from('log public').filter((l) => l.text.includes(text)).length;
}

// ------------------------------------------------------------------------------------------------ close while down

/**
 * The consumer starts a close (GET /terminate) while payment-server-1 is down (kill -9 mid-load); most of the
 * challenge period passes; payment-server-1 comes back and must claim every served call before the period ends.
 */
export async function closeWhileProviderServerDown(f: FaultNetwork, kind: NetworkKind): Promise<void> {
  const elapsed = stopwatch();
  const start = await scenarioStart(f);
  const book = new ReceiptBook();
  const load = loadFor(f, book);
  const ps1 = networkProcessTarget(f.net, 'payment-server-1');
  try {
    await servedMore(book, 40);
    load.phase('payment-server-1 down');
    await ps1.kill9();
    await sleep(200);
  } finally {
    await load.stop();
  }
  const saved = (await f.saved()) - start.saved;
  const ids = (await f.consumerChannels()).filter((c) => !start.earlierChannels.has(c.id.toLowerCase())).map((c) => c.id.toLowerCase());
  const term = await getJson(`${f.net.urls.public}/terminate`);
  expect(term.body.terminationStarted).toBe(true);
  const passed = f.challengePeriod - 20;
  await timeTravel(f.rpcUrl(), passed);
  await ps1.restart();
  // The services store what they served (their batched POST /vouchers are retried with a backoff of up to 5 s;
  // GET /payout makes them do it now); payment-server-1 claims it.
  const refusedLines = () =>
    HOPS.flatMap((h) => f.collector.from(`log ${PROCESS_OF[h]}`)).filter((l) =>
      l.text.includes('payment server refused a voucher accepted in process'),
    ).length;
  const refusedBefore = refusedLines();
  const restarted = Date.now();
  for (const hop of HOPS) await getJson(`${f.net.urls[hop]}/payout`);
  const covered = async (what: 'claimed' | 'held') => {
    for (const ch of book.channels.values()) {
      const v = await f.providerChannel(ch.hop, ch.id);
      const held = BigInt(v.latestVoucher?.amount ?? 0);
      if (held < ch.highest) return false;
      if (what === 'claimed' && BigInt(v.claimed) !== held) return false;
    }
    return true;
  };
  // Done when every served call is claimed, or as soon as it cannot be any more: a service reports that
  // payment-server-1 refused vouchers it had accepted, and what the server holds is below what was served.
  await waitFor(
    'payment-server-1 to claim every served call',
    async () => (await covered('claimed')) || (refusedLines() > refusedBefore && !(await covered('held'))),
    // Wall-clock patience only (the challenge period runs on the chain's clock, which the test moves): a restarted
    // server on a loaded 2-core machine took over 20 s to claim in CI.
    60_000,
    100,
  );
  // Whatever it holds, it claims before the challenge period ends.
  await waitFor(
    'payment-server-1 to claim what it holds',
    async () => {
      for (const id of ids) {
        const v = await f.providerChannel(book.channels.get(id)?.hop ?? (await hopByAsking(f, id)), id);
        if (v.claimed !== (v.latestVoucher?.amount ?? '0')) return false;
      }
      return true;
    },
    15_000,
    100,
  );
  const claimedMs = Date.now() - restarted;
  const refused = refusedLines() - refusedBefore;
  // Served calls whose vouchers payment-server-1 does not hold (and so can never claim).
  let lostCalls = 0;
  let lostWei = 0n;
  const accepted = new Map<string, bigint>();
  for (const id of ids)
    accepted.set(
      id,
      BigInt((await f.providerChannel(book.channels.get(id)?.hop ?? (await hopByAsking(f, id)), id)).latestVoucher?.amount ?? 0),
    );
  for (const ch of book.channels.values()) {
    const held = accepted.get(ch.id) ?? 0n;
    const above = ch.receipts.filter((r) => r.amount > held);
    lostCalls += above.length;
    if (ch.highest > held) lostWei += ch.highest - held;
  }
  const everyServedCallClaimed = await covered('claimed');
  await timeTravel(f.rpcUrl(), 21);
  const s = await finishSettlement(f, ids, accepted, book);
  recordFigure({
    scenario: `Network: close while the providers' payment server is down (${kind.label})`,
    chain: 'ganache (embedded; time moved forward with evm_increaseTime)',
    load: `${book.served} /action calls served, ${CONCURRENCY} at a time, then GET /terminate`,
    faults: `kill -9 of payment-server-1 mid-load; the close starts while it is down; ${passed} s of the ${f.challengePeriod} s challenge period pass before it restarts`,
    inputs: 'none',
    lost:
      lostCalls === 0
        ? `0 wei: the restarted payment-server-1 claimed every served call ${claimedMs} ms after its restart, inside the challenge period${refused ? ` (it refused ${refused} batch(es) of vouchers accepted but never served: their calls had been answered 503)` : ''}; payouts ${s.books.providerPayouts} + refunds = deposits`
        : `**${lostCalls} served calls (${lostWei} wei) never paid**: the services' batches of vouchers for calls served before the close reached the restarted payment-server-1 after it had seen the close, and it refused them (CHANNEL_CLOSING, bug 4); payouts + refunds = deposits`,
    numbers: {
      served: book.served,
      savedRows: saved,
      claimedMs,
      refusedBatches: refused,
      lostCalls,
      lostWei: lostWei.toString(),
      deposits: s.books.deposits.toString(),
      payouts: s.books.providerPayouts.toString(),
      refunds: s.books.consumerRefunds.toString(),
    },
    durationMs: elapsed(),
  });
  expect({ lostCalls, everyServedCallClaimed }).toEqual({ lostCalls: 0, everyServedCallClaimed: true });
  expectBooks(s, saved, CONCURRENCY + 1);
}
